"""Who takes part in a protocol's review: the workflow actors a user is, the officers, the
secretariat and the team, and how they are told about a step."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.accounts.selectors import is_secretariat
from research_governance.notifications.messages import bilingual
from research_governance.notifications.services import notify
from research_governance.protocols import permissions
from research_governance.protocols.models import Protocol, ProtocolUserObjectPermission
from research_governance.reviews.workflow import Actor


def _about(protocol: Protocol) -> dict[str, Any]:
    """The parameters every notification about a protocol carries."""
    return {"reference": protocol.reference, "title": bilingual(protocol.title_ja, protocol.title_en)}


def _link(protocol: Protocol) -> str:
    return reverse("protocols:detail", args=[protocol.pk])


def _officers_of(protocol: Protocol, *roles: str) -> QuerySet[User]:
    """The people holding any of ``roles`` now at the protocol's institution."""
    return User.objects.filter(
        Exists(
            RoleMembership.objects.current().filter(
                user=OuterRef("pk"), institution_id=protocol.institution_id, role__in=roles
            )
        )
    )


def _secretariat_of(protocol: Protocol) -> QuerySet[User]:
    return _officers_of(protocol, Role.SECRETARIAT)


def _team_of(protocol: Protocol, codename: str = "view_protocol") -> QuerySet[User]:
    return User.objects.filter(
        Exists(
            ProtocolUserObjectPermission.objects.filter(
                user=OuterRef("pk"), content_object=protocol, permission__codename=codename
            )
        )
    )


_OFFICER_ACTORS = {Role.CHAIR: Actor.CHAIR, Role.HEAD: Actor.HEAD}


def _tell_team(protocol: Protocol, kind: str) -> None:
    """Notify everyone on the protocol's team about a step (after commit, by the outbox)."""
    notify(recipients=_team_of(protocol), kind=kind, params=_about(protocol), link=_link(protocol), protocol=protocol)


def actors_for(user: User, protocol: Protocol) -> set[Actor]:
    """The workflow actors the user is for this protocol; the chair and the head count only at
    the protocol's own institution."""
    actors: set[Actor] = set()
    if permissions.can_submit(user, protocol):
        actors.add(Actor.APPLICANT)
    if is_secretariat(user, protocol.institution_id):
        actors.add(Actor.SECRETARIAT)
    if user.is_authenticated and user.is_active:
        roles = RoleMembership.objects.current().filter(
            user=user, institution_id=protocol.institution_id, role__in=list(_OFFICER_ACTORS)
        )
        actors |= {_OFFICER_ACTORS[role] for role in roles.values_list("role", flat=True)}
    return actors


def _require_secretariat(user: User, protocol: Protocol) -> None:
    if not is_secretariat(user, protocol.institution_id):
        raise PermissionDenied
