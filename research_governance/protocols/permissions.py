"""Who may see and change a protocol.

Team members hold django-guardian object permissions (direct-FK rows in
ProtocolUserObjectPermission), granted and revoked only by the services that
change the team. The secretariat sees every protocol once it is submitted; the committee chair and the
head of institution see the submitted protocols of their own institution (they decide,
sign off and permit: JP-ERC-13). Auditors (SEC-01 role) read every submitted protocol of
their institution and change nothing: ``is_oversight_reader`` says who they are, ``can_view``
lets them in, and every write checks a workflow actor, an object permission or a manager
role that the auditor never has. Never-submitted drafts stay the investigators' own.
Everybody else gets 404: the existence of another study is not disclosed.
"""

import uuid
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from guardian.shortcuts import assign_perm, remove_perm

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.accounts.selectors import is_secretariat

from .models import DashboardStamp, Protocol, ProtocolStatus, ProtocolUserObjectPermission

VIEW = "view_protocol"
CHANGE = "change_protocol"
SUBMIT = "submit_protocol"
TEAM_PERMISSIONS = (VIEW,)
EDITOR_PERMISSIONS = (VIEW, CHANGE, SUBMIT)


def grant_team_access(*, user: User, protocol: Protocol, can_edit: bool) -> None:
    for codename in EDITOR_PERMISSIONS:
        if codename in TEAM_PERMISSIONS or can_edit:
            assign_perm(codename, user, protocol)
        else:
            remove_perm(codename, user, protocol)
    restamp_dashboards(user_ids=[user.pk])


def revoke_team_access(*, user: User, protocol: Protocol) -> None:
    ProtocolUserObjectPermission.objects.filter(user=user, content_object=protocol).delete()
    restamp_dashboards(user_ids=[user.pk])


def restamp_dashboards(*, user_ids: Iterable[int] = (), protocol: Protocol | None = None) -> None:
    """Give these users (and everyone on ``protocol``'s team) a fresh dashboard stamp.

    Called by every service that changes a protocol or its access, inside its transaction."""
    ids = set(user_ids)
    if protocol is not None:
        ids |= set(
            ProtocolUserObjectPermission.objects.filter(content_object=protocol).values_list("user_id", flat=True)
        )
    # Sorted, so concurrent writers lock the stamp rows in the same order.
    stamps = [DashboardStamp(user_id=user_id, token=uuid.uuid4().hex) for user_id in sorted(ids)]
    DashboardStamp.objects.bulk_create(stamps, update_conflicts=True, unique_fields=["user"], update_fields=["token"])


def dashboard_stamp(user: User) -> str:
    return DashboardStamp.objects.filter(user=user).values_list("token", flat=True).first() or "none"


_permission_ids: dict[str, int] = {}


def permission_id(codename: str) -> int:
    """The id of one of the protocol permissions, looked up once per process.

    Filtering on the id instead of joining auth_permission by codename lets PostgreSQL
    estimate the user's rows from the unique index, and saves a join on every check."""
    if codename not in _permission_ids:
        _permission_ids[codename] = Permission.objects.get(content_type__app_label="protocols", codename=codename).pk
    return _permission_ids[codename]


@receiver(post_migrate)
def _forget_permission_ids(**kwargs: object) -> None:
    # migrate and flush (tests) may recreate the permission rows with new ids.
    _permission_ids.clear()


def _has_object_permission(user: User | AnonymousUser, protocol: Protocol, codename: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return ProtocolUserObjectPermission.objects.filter(
        user=user, content_object=protocol, permission_id=permission_id(codename)
    ).exists()


def is_on_team(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, VIEW)


OFFICER_ROLES = (Role.CHAIR, Role.HEAD)
# Read-only oversight of every submitted protocol of the institution (issue 7: the auditor).
# Administrators are not here: they already see (and act) as the secretariat (is_secretariat).
OVERSIGHT_READER_ROLES = (Role.AUDITOR,)


def _oversight_memberships(user: User) -> QuerySet[RoleMembership]:
    return RoleMembership.objects.current().filter(user=user, role__in=OVERSIGHT_READER_ROLES)


def is_oversight_reader(user: User | AnonymousUser, institution_id: int) -> bool:
    """Whether the user reads everything of the institution and may change nothing (the auditor)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return _oversight_memberships(user).filter(institution_id=institution_id).exists()


def _officer_memberships(user: User) -> QuerySet[RoleMembership]:
    return RoleMembership.objects.current().filter(user=user, role__in=OFFICER_ROLES)


def can_view(user: User | AnonymousUser, protocol: Protocol) -> bool:
    if is_on_team(user, protocol):
        return True
    if protocol.status == ProtocolStatus.DRAFT:
        return False
    if is_secretariat(user):
        return True
    if not (user.is_authenticated and user.is_active):
        return False
    officer = _officer_memberships(user)
    if officer.filter(institution_id=protocol.institution_id).exists():
        return True
    if is_oversight_reader(user, protocol.institution_id):
        return True
    # JP-ERC-12: the head of a participating site's institution permits for that site.
    return officer.filter(
        role=Role.HEAD, institution_id__in=protocol.sites.filter(institution__isnull=False).values("institution_id")
    ).exists()


def can_edit(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, CHANGE)


def can_submit(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, SUBMIT)


def _permission_exists(user: User, codename: str) -> Exists:
    return Exists(
        ProtocolUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user, permission_id=permission_id(codename)
        )
    )


def team_protocols(user: User | AnonymousUser) -> QuerySet[Protocol]:
    """Protocols the user is on the team of (one EXISTS subquery, no per-row checks)."""
    if not user.is_authenticated or not user.is_active:
        return Protocol.objects.none()
    return Protocol.objects.filter(_permission_exists(user, VIEW))


def editable_protocols(user: User | AnonymousUser) -> QuerySet[Protocol]:
    if not user.is_authenticated or not user.is_active:
        return Protocol.objects.none()
    return Protocol.objects.filter(_permission_exists(user, CHANGE))


def visible_protocols(user: User | AnonymousUser) -> QuerySet[Protocol]:
    if not user.is_authenticated or not user.is_active:
        return Protocol.objects.none()
    condition = _permission_exists(user, VIEW)
    if is_secretariat(user):
        condition = condition | ~Q(status=ProtocolStatus.DRAFT)
    else:
        officer = Exists(_officer_memberships(user).filter(institution_id=OuterRef("institution_id")))
        reader = Exists(_oversight_memberships(user).filter(institution_id=OuterRef("institution_id")))
        condition = condition | ((officer | reader) & ~Q(status=ProtocolStatus.DRAFT))
    return Protocol.objects.filter(condition)
