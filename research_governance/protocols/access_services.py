"""Writes to who may reach a protocol: the team's object permissions (django-guardian direct-FK
rows) and the dashboard stamps that tell a cached dashboard it is stale. Called by the services
that change a team or a protocol, inside their transaction; ``permissions`` only reads."""

import uuid
from collections.abc import Iterable

from guardian.shortcuts import assign_perm, remove_perm

from research_governance.accounts.models import User
from research_governance.notifications import inbox

from .models import DashboardStamp, Protocol, ProtocolUserObjectPermission
from .permissions import EDITOR_PERMISSIONS, TEAM_PERMISSIONS


def grant_team_access(*, user: User, protocol: Protocol, can_edit: bool) -> None:
    for codename in EDITOR_PERMISSIONS:
        if codename in TEAM_PERMISSIONS or can_edit:
            assign_perm(codename, user, protocol)
        else:
            remove_perm(codename, user, protocol)
    restamp_dashboards(user_ids=[user.pk])
    # Who may act for the applicant changed.
    inbox.refresh(protocol_ids=[protocol.pk])


def revoke_team_access(*, user: User, protocol: Protocol) -> None:
    ProtocolUserObjectPermission.objects.filter(user=user, content_object=protocol).delete()
    restamp_dashboards(user_ids=[user.pk])
    inbox.refresh(protocol_ids=[protocol.pk])


def restamp_dashboards(*, user_ids: Iterable[int] = (), protocol: Protocol | None = None) -> None:
    """Give these users (and everyone on ``protocol``'s team) a fresh dashboard stamp.

    Called by every service that changes a protocol or its access, inside its transaction. What
    is pending on ``protocol`` is found again for the inbox: its title or team may have changed."""
    ids = set(user_ids)
    if protocol is not None:
        inbox.refresh(protocol_ids=[protocol.pk])
        ids |= set(
            ProtocolUserObjectPermission.objects.filter(content_object=protocol).values_list("user_id", flat=True)
        )
    # Sorted, so concurrent writers lock the stamp rows in the same order.
    stamps = [DashboardStamp(user_id=user_id, token=uuid.uuid4().hex) for user_id in sorted(ids)]
    DashboardStamp.objects.bulk_create(stamps, update_conflicts=True, unique_fields=["user"], update_fields=["token"])
