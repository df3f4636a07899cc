"""Who may see and change a protocol.

Team members hold django-guardian object permissions (direct-FK rows in
ProtocolUserObjectPermission), granted and revoked only by the services that
change the team. The secretariat sees every protocol once it is submitted.
Everybody else gets 404: the existence of another study is not disclosed.
"""

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from guardian.shortcuts import assign_perm, remove_perm

from research_governance.accounts.models import User
from research_governance.accounts.selectors import is_secretariat

from .models import Protocol, ProtocolStatus, ProtocolUserObjectPermission

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


def revoke_team_access(*, user: User, protocol: Protocol) -> None:
    ProtocolUserObjectPermission.objects.filter(user=user, content_object=protocol).delete()


def _has_object_permission(user: User | AnonymousUser, protocol: Protocol, codename: str) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return ProtocolUserObjectPermission.objects.filter(
        user=user, content_object=protocol, permission__codename=codename
    ).exists()


def is_on_team(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, VIEW)


def can_view(user: User | AnonymousUser, protocol: Protocol) -> bool:
    if is_on_team(user, protocol):
        return True
    return is_secretariat(user) and protocol.status != ProtocolStatus.DRAFT


def can_edit(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, CHANGE)


def can_submit(user: User | AnonymousUser, protocol: Protocol) -> bool:
    return _has_object_permission(user, protocol, SUBMIT)


def _permission_exists(user: User, codename: str) -> Exists:
    return Exists(
        ProtocolUserObjectPermission.objects.filter(
            content_object=OuterRef("pk"), user=user, permission__codename=codename
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
    return Protocol.objects.filter(condition)
