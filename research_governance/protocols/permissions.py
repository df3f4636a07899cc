"""Who may see and change a protocol.

Team members hold django-guardian object permissions (direct-FK rows in
ProtocolUserObjectPermission), granted and revoked only by the services that
change the team. Once submitted, a protocol is read by the secretariat, the committee chair,
the head and the auditors of its own institution, and by the head of a participating site's
institution (JP-ERC-12); ``protocol_visibility`` is that rule, once. Auditors (SEC-01) read and
change nothing: every write checks a workflow actor, an object permission or a manager role
that the auditor never has. Never-submitted drafts stay the investigators' own. Everybody else
gets 404: the existence of another study is not disclosed.
"""

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from research_governance.accounts.models import Role, User
from research_governance.accounts.selectors import has_role_at, institutions_with_role

from .models import DashboardStamp, Protocol, ProtocolStatus, ProtocolUserObjectPermission, Site

VIEW = "view_protocol"
CHANGE = "change_protocol"
SUBMIT = "submit_protocol"
TEAM_PERMISSIONS = (VIEW,)
EDITOR_PERMISSIONS = (VIEW, CHANGE, SUBMIT)


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


# Who reads the submitted protocols of their own institution: the secretariat and the
# administrator (who also act: ``accounts.selectors.is_secretariat``), the committee chair and the
# head of institution (they decide, sign off and permit: JP-ERC-13), and the auditor (SEC-01),
# who reads everything and changes nothing.
INSTITUTION_READER_ROLES = (Role.SECRETARIAT, Role.ADMINISTRATOR, Role.CHAIR, Role.HEAD, Role.AUDITOR)
OVERSIGHT_READER_ROLES = (Role.AUDITOR,)


def is_oversight_reader(user: User | AnonymousUser, institution_id: int) -> bool:
    """Whether the user reads everything of the institution and may change nothing (the auditor)."""
    return has_role_at(user, institution_id, *OVERSIGHT_READER_ROLES)


def protocol_visibility(user: User) -> Q:
    """THE rule for who may see a protocol, as a filter on Protocol: the list query
    (``visible_protocols``) and the detail check (``can_view``) are both this filter.

    The team sees its protocol from the first draft; once submitted, the readers of the
    protocol's institution see it, and the head of a participating site's institution sees it
    to permit for that site (JP-ERC-12: the one link across institutions). Nobody else."""
    team = _permission_exists(user, VIEW)
    own_institution = Q(institution_id__in=institutions_with_role(user, *INSTITUTION_READER_ROLES))
    partner_head = Exists(
        Site.objects.filter(protocol=OuterRef("pk"), institution_id__in=institutions_with_role(user, Role.HEAD))
    )
    return team | (~Q(status=ProtocolStatus.DRAFT) & (own_institution | partner_head))


def visible_protocols(user: User | AnonymousUser) -> QuerySet[Protocol]:
    if not user.is_authenticated or not user.is_active:
        return Protocol.objects.none()
    return Protocol.objects.filter(protocol_visibility(user))


def can_view(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return visible_protocols(user).filter(pk=protocol.pk).exists()


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
