"""The approval: issued when a decision takes effect, amended by an approved amendment, suspended,
closed, or expired; the protocol follows it and the agreements depending on it are told."""

import calendar
from collections.abc import Collection
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.services import notify
from research_governance.protocols import access_services, permissions
from research_governance.protocols.models import Protocol, ProtocolUserObjectPermission
from research_governance.reviews.hooks import amendment_in_force, approvals_lapsed
from research_governance.reviews.models import Approval, Decision
from research_governance.reviews.participants import _about, _link, _tell_team, actors_for
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.workflow import (
    APPROVAL_TRANSITIONS,
    KIND_RULES,
    Actor,
    ApprovalStatus,
    SubmissionKind,
    TransitionRefused,
    transition_for,
)


def _approval_allows(kind: str, approval: Approval | None) -> None:
    rules = KIND_RULES[kind]
    status = approval.status if approval else ""
    if status not in rules.approval_statuses:
        if kind == SubmissionKind.AMENDMENT:
            raise TransitionRefused(gettext("An amendment can be made only while the approval is active."))
        raise TransitionRefused(gettext("Reports are made while the research has an active or suspended approval."))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when that day does not exist)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _approval_issue(*, decision: Decision, protocol: Protocol, by: User) -> Approval:
    """The approval, from today, for the decision's period. The protocol row is locked by the caller."""
    valid_from = timezone.localdate()
    months = decision.validity_months or settings.APPROVAL_VALIDITY_MONTHS
    number = Approval.objects.filter(protocol=protocol).count() + 1
    approval = Approval.objects.create(
        protocol=protocol,
        decision=decision,
        version=decision.submission.version,
        reference=f"A-{protocol.reference}-{number}",
        valid_from=valid_from,
        valid_until=add_months(valid_from, months),
        status=ApprovalStatus.ACTIVE,
        created_at=timezone.now(),
    )
    audit_record(
        actor=by,
        action=AuditAction.APPROVAL_ISSUED,
        target=approval,
        protocol=protocol,
        data={
            "reference": approval.reference,
            "valid_from": valid_from.isoformat(),
            "valid_until": approval.valid_until.isoformat(),
            "decision_id": decision.pk,
        },
    )
    return approval


def _decision_takes_effect(*, decision: Decision, protocol: Protocol, by: User) -> None:
    """An approving decision in force: the initial application's approval is issued; an approved
    amendment becomes the version in force of the current approval."""
    if decision.submission.kind == SubmissionKind.INITIAL:
        _approval_issue(decision=decision, protocol=protocol, by=by)
        return
    in_force = current_approval(protocol)
    # Only an approved protocol takes amendments, so an approval is there to amend.
    assert in_force is not None
    approval = Approval.objects.select_for_update().get(pk=in_force.pk)
    previous = approval.version
    approval.version = decision.submission.version
    approval.save(update_fields=["version"])
    audit_record(
        actor=by,
        action=AuditAction.APPROVAL_AMENDED,
        target=approval,
        protocol=protocol,
        data={
            "reference": approval.reference,
            "from_version": previous.number,
            "to_version": approval.version.number,
            "decision_id": decision.pk,
        },
    )
    # A change of what the subjects consented to flags the data-sharing agreements for re-review.
    amendment_in_force(approval=approval, previous_snapshot=previous.snapshot, by=by)


def _approval_transition(
    *, approval: Approval, protocol: Protocol, by: User, action: str, actors: set[Actor], reasons: str
) -> Approval:
    """Move a locked approval along APPROVAL_TRANSITIONS; the protocol follows."""
    transition = transition_for(action, approval.status, actors, APPROVAL_TRANSITIONS)
    if not reasons.strip():
        raise ValidationError(gettext("Give the reasons."))
    previous = approval.status
    approval.status = transition.target
    approval.save(update_fields=["status"])
    protocol.status = transition.protocol_status
    protocol.amendment_open = False
    protocol.save(update_fields=["status", "amendment_open", "updated_at"])
    access_services.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=approval,
        protocol=protocol,
        data={"reference": approval.reference, "from": previous, "to": approval.status, "reasons": reasons.strip()},
    )
    _tell_team(protocol, transition.audit_action)  # approval.suspended / approval.closed
    announce(protocol_ids=[protocol.pk], by=by)
    return approval


def _approval_change(*, approval: Approval, by: User, action: str, reasons: str) -> Approval:
    locked = Approval.objects.select_for_update().get(pk=approval.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    return _approval_transition(
        approval=locked, protocol=protocol, by=by, action=action, actors=actors_for(by, protocol), reasons=reasons
    )


@transaction.atomic
def approval_suspend(*, approval: Approval, by: User, reasons: str) -> Approval:
    """The secretariat or the chair suspends an active approval; the protocol is suspended, and
    so is every data-sharing agreement depending on it (hooks.approvals_lapsed)."""
    changed = _approval_change(approval=approval, by=by, action="suspend", reasons=reasons)
    approvals_lapsed(approvals=[changed], by=by)
    return changed


@transaction.atomic
def approval_close(*, approval: Approval, by: User, reasons: str) -> Approval:
    """The secretariat or the chair closes an approval; the protocol is closed, and every
    data-sharing agreement depending on it is suspended (hooks.approvals_lapsed)."""
    changed = _approval_change(approval=approval, by=by, action="close", reasons=reasons)
    approvals_lapsed(approvals=[changed], by=by)
    return changed


@transaction.atomic
def approvals_expire(*, today: date | None = None, approval_ids: Collection[int] | None = None) -> list[Approval]:
    """Expire every live approval whose period is over (only those among ``approval_ids`` if given).

    An approval valid until D is valid through D and expires on D + 1. Taken by the system (the
    daily reminder scan), never by a person, so each expiry is audited with no actor ("system").
    The protocols follow (status "expired", any open amendment closed) and each team is told.
    Set-based, for the scan: the rows are locked and updated in a few queries whatever their
    number; only the audit event (one per approval, on the hash chain) and the team's
    notification are written per approval. Returns the approvals expired.
    """
    today = today or timezone.localdate()
    transition = next(t for t in APPROVAL_TRANSITIONS if t.action == "expire")
    ended = Approval.objects.filter(status__in=transition.sources, valid_until__lt=today)
    if approval_ids is not None:
        ended = ended.filter(pk__in=list(approval_ids))
    # Locked in the order every service locks them: approvals, then their protocols.
    approvals = list(ended.select_for_update().order_by("pk"))
    if not approvals:
        return []
    transition_for("expire", approvals[0].status, {Actor.SYSTEM}, APPROVAL_TRANSITIONS)
    protocols = {
        p.pk: p
        for p in Protocol.objects.select_for_update()
        .filter(pk__in=[a.protocol_id for a in approvals])
        .order_by("pk")
        .only("pk", "reference", "title_ja", "title_en", "institution_id")
    }
    Approval.objects.filter(pk__in=[a.pk for a in approvals]).update(status=transition.target)
    Protocol.objects.filter(pk__in=list(protocols)).update(
        status=transition.protocol_status, amendment_open=False, updated_at=timezone.now()
    )
    teams: dict[int, list[User]] = {}
    for row in ProtocolUserObjectPermission.objects.filter(
        content_object_id__in=list(protocols), permission__codename="view_protocol"
    ).select_related("user"):
        teams.setdefault(row.content_object_id, []).append(row.user)
    access_services.restamp_dashboards(user_ids={user.pk for team in teams.values() for user in team})
    for approval in approvals:
        protocol = protocols[approval.protocol_id]
        previous, approval.status = approval.status, transition.target
        audit_record(
            actor=None,
            action=transition.audit_action,
            target=approval,
            protocol=protocol,
            data={
                "reference": approval.reference,
                "from": previous,
                "to": approval.status,
                "valid_until": approval.valid_until.isoformat(),
                "expired_on": today.isoformat(),
            },
        )
        notify(
            recipients=teams.get(protocol.pk, []),
            kind=transition.audit_action,  # approval.expired
            params={**_about(protocol), "valid_until": approval.valid_until},
            link=_link(protocol),
            protocol=protocol,
        )
    # Every data-sharing agreement depending on them is suspended, its grants ended.
    approvals_lapsed(approvals=approvals, by=None)
    # Taken by the system: nobody is skipped.
    announce(protocol_ids=list(protocols), by=None)
    return approvals


@transaction.atomic
def approval_expire(*, approval: Approval, today: date | None = None) -> Approval:
    """Expire one approval whose period is over, as ``approvals_expire`` does; TransitionRefused
    before the day after its last day, or once it is no longer active or suspended."""
    today = today or timezone.localdate()
    expired = approvals_expire(today=today, approval_ids=[approval.pk])
    if expired:
        return expired[0]
    current = Approval.objects.get(pk=approval.pk)
    transition_for("expire", current.status, {Actor.SYSTEM}, APPROVAL_TRANSITIONS)
    raise TransitionRefused(gettext_lazy("An approval expires only after the last day of its period."))
