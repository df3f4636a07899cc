"""Every write to a meeting's record: scheduling and rescheduling, the agenda (adding, taking
off), attendance, recusals, votes, the item's decision (which records the committee's decision
on the submission), deferral, the minutes and closing. Each locks the meeting row first, checks
the actor, and audits."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.committees.selectors import can_manage_committee, sitting_on
from research_governance.committees.services import _locked_committee
from research_governance.notifications import inbox
from research_governance.notifications.handoff import announce
from research_governance.reviews.decision.services import decision_record
from research_governance.reviews.meeting import notices
from research_governance.reviews.meeting.notices import meeting_notice
from research_governance.reviews.meeting.selectors import (
    attendance_of,
    decision_rule_met,
    item_conflicts,
    meeting_day,
    quorum_for_item,
    seat_at_meeting,
    tally_of,
)
from research_governance.reviews.models import AgendaItem, Attendance, Meeting, Recusal, Submission, Vote
from research_governance.reviews.workflow import ReviewRoute, SubmissionStatus

from . import workflow

# Every write locks the meeting row first (then the agenda item's), so attendance, recusals,
# votes and decisions of one meeting are serialised: a vote never sees half-recorded
# attendance, and two members voting at once each find the other's vote committed.

Outcome = AgendaItem.Outcome


# Outcomes that approve the study: the committee's decision rule must be met (JP-ERC-09,
# and US-IRB-04 under the US rule set). The others are the chair's conclusion, recorded with
# the tally whatever it is, because a study that fails to win approval must still get an answer.
APPROVING_OUTCOMES = frozenset({Outcome.APPROVE, Outcome.APPROVE_WITH_CONDITIONS})


def _require_manager(by: User, committee: Committee) -> None:
    if not can_manage_committee(by, committee):
        raise PermissionDenied


def _locked_meeting(meeting: Meeting) -> Meeting:
    return Meeting.objects.select_for_update().select_related("committee").get(pk=meeting.pk)


def _locked_item(item: AgendaItem) -> AgendaItem:
    meeting = _locked_meeting(item.meeting)
    locked = AgendaItem.objects.select_for_update().select_related("submission__protocol").get(pk=item.pk)
    locked.meeting = meeting
    return locked


def _open(meeting: Meeting) -> None:
    """Every write to a meeting's record passes here first: a closed meeting's minutes are final."""
    if not workflow.is_open(meeting):
        raise ValidationError(workflow.CLOSED_REASON)


def _undecided(item: AgendaItem) -> None:
    """An item takes recusals, votes, a decision or a deferral only while it is pending."""
    if item.outcome:
        raise ValidationError(_("This item has already been decided."))
    if item.is_deferred:
        raise ValidationError(
            _("This item was deferred to a later meeting; put the submission on that meeting's agenda.")
        )


def _item_data(item: AgendaItem, **extra: Any) -> dict[str, Any]:
    return {
        "committee_id": item.meeting.committee_id,
        "meeting_id": item.meeting_id,
        "agenda_item_id": item.pk,
        "submission_id": item.submission_id,
        **extra,
    }


@transaction.atomic
def meeting_schedule(*, committee: Committee, by: User, scheduled_at: datetime, location: str = "") -> Meeting:
    locked = _locked_committee(committee, by)
    transition = workflow.transition_for("schedule", "")
    meeting = Meeting(
        committee=locked,
        scheduled_at=scheduled_at,
        location=location.strip(),
        created_by=by,
        status=transition.target,
    )
    meeting.full_clean()
    meeting.save()
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=meeting,
        data={
            "committee_id": locked.pk,
            "committee": locked.code,
            "scheduled_at": scheduled_at.isoformat(),
            "location": meeting.location,
        },
    )
    # The members receive the notice (and the agenda as it grows).
    meeting_notice(meeting=meeting, by=by)
    inbox.refresh_institutions([locked.institution_id])
    return meeting


def _to_the_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


@transaction.atomic
def meeting_reschedule(*, meeting: Meeting, by: User, scheduled_at: datetime, location: str = "") -> Meeting:
    """Move a meeting still to be held to another date, time or place, and tell its members what
    changed: those sitting on the new day, and those who sat on the old one (a term may end in
    between). Once attendance is recorded the meeting took place; it is not moved (workflow)."""
    _require_manager(by, meeting.committee)
    locked = _locked_meeting(meeting)
    transition = workflow.transition_for("reschedule", locked.status)
    location = location.strip()
    # A date the form shows to the minute is the same date.
    new_date = _to_the_minute(scheduled_at) != _to_the_minute(locked.scheduled_at)
    if not new_date and location == locked.location:
        raise ValidationError(_("The meeting already has this date, time and location; nothing was changed."))
    if new_date and scheduled_at < timezone.now():
        raise ValidationError(
            {"scheduled_at": _("This date and time have passed. Choose a date and time still to come.")}
        )
    old = {"scheduled_at": locked.scheduled_at.isoformat(), "location": locked.location}
    old_when, old_place = notices.when_of(locked), locked.location
    formerly_seated = notices.members_of(locked)
    if new_date:
        locked.scheduled_at = scheduled_at
    locked.location = location
    locked.full_clean()
    locked.save(update_fields=["scheduled_at", "location"])
    event = audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={
            "committee_id": locked.committee_id,
            "old": old,
            "new": {"scheduled_at": locked.scheduled_at.isoformat(), "location": locked.location},
        },
    )
    # The members are told what changed (their step "attend the meeting" is due on the new day).
    meeting_notice(
        meeting=locked,
        by=by,
        change=notices.moved(old_when=old_when, old_place=old_place, meeting=locked),
        occasion=event,
        also=formerly_seated,
    )
    # The members' "attend the meeting" is due on the new day.
    inbox.refresh_institutions([locked.committee.institution_id])
    return locked


@transaction.atomic
def agenda_add(*, meeting: Meeting, by: User, submission: Submission) -> AgendaItem:
    """Put a submission on the agenda: accepted, for full-board review, from the committee's institution."""
    _require_manager(by, meeting.committee)
    locked = _locked_meeting(meeting)
    _open(locked)
    # Locked too: two meetings adding the same submission at once would each lock only their own row.
    submission = Submission.objects.select_for_update(of=("self",)).select_related("protocol").get(pk=submission.pk)
    if submission.status != SubmissionStatus.ACCEPTED or submission.route != ReviewRoute.FULL_BOARD:
        raise ValidationError(_("Only a submission accepted for full-board review can go on a meeting's agenda."))
    if submission.protocol.institution_id != locked.committee.institution_id:
        raise ValidationError(_("This submission belongs to another institution."))
    if locked.items.filter(submission=submission).exists():
        raise ValidationError(_("This submission is already on the agenda."))
    # On one agenda at a time: another meeting must decide or defer it first.
    elsewhere = (
        AgendaItem.objects.filter(submission=submission, outcome="", deferred_at__isnull=True)
        .select_related("meeting")
        .first()
    )
    if elsewhere is not None:
        raise ValidationError(
            _(
                "This submission is already on the agenda of the meeting of %(when)s. "
                "Defer it there first to move it to this meeting."
            )
            % {"when": timezone.localtime(elsewhere.meeting.scheduled_at).strftime("%Y-%m-%d %H:%M")}
        )
    order = (locked.items.order_by("-order").values_list("order", flat=True).first() or 0) + 1
    item = AgendaItem.objects.create(meeting=locked, submission=submission, order=order)
    event = audit_record(
        actor=by,
        action=AuditAction.MEETING_ITEM_ADDED,
        target=item,
        protocol=submission.protocol,
        data=_item_data(item, order=order),
    )
    # The secretariat's "put it on an agenda" is done; the members get the changed agenda (told
    # again when the submission comes back after being taken off: the occasion is this event).
    announce(protocol_ids=[submission.protocol_id], by=by)
    meeting_notice(meeting=locked, by=by, occasion=event)
    return item


@transaction.atomic
def attendance_record(*, meeting: Meeting, by: User, present: Iterable[CommitteeMembership]) -> list[Attendance]:
    """Record who attended: every seat sitting on the meeting's day is marked present or absent.

    Attendance is fixed once a vote is cast or an item decided: the quorum those rested on
    must stay what the minutes say (US-IRB-08)."""
    _require_manager(by, meeting.committee)
    locked = _locked_meeting(meeting)
    transition = workflow.transition_for("record_attendance", locked.status)
    if Vote.objects.filter(agenda_item__meeting=locked).exists() or locked.items.exclude(outcome="").exists():
        raise ValidationError(_("Votes have been cast at this meeting; its attendance can no longer change."))
    seats = sitting_on(locked.committee, meeting_day(locked))
    seat_ids = {seat.pk for seat in seats}
    present_ids = {membership.pk for membership in present}
    strangers = present_ids - seat_ids
    if strangers:
        raise ValidationError(_("Only members sitting on the committee on the day of the meeting can attend."))
    now = timezone.now()
    before = attendance_of(locked)
    rows = []
    for seat in seats:
        row, _created = Attendance.objects.update_or_create(
            meeting=locked, membership=seat, defaults={"present": seat.pk in present_ids, "recorded_at": now}
        )
        rows.append(row)
    if locked.status != transition.target:
        locked.status = transition.target
        locked.save(update_fields=["status"])
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={
            "committee_id": locked.committee_id,
            "old": {"present": sorted(pk for pk, here in before.items() if here)} if before else None,
            "new": {
                "present": sorted(present_ids),
                "absent": sorted(seat_ids - present_ids),
            },
        },
    )
    inbox.refresh_institutions([locked.committee.institution_id])
    return rows


@transaction.atomic
def recusal_add(*, item: AgendaItem, by: User, membership: CommitteeMembership, reason: str) -> Recusal:
    """Record that a member steps out of one item (a conflict not already computed from the study)."""
    _require_manager(by, item.meeting.committee)
    locked = _locked_item(item)
    _open(locked.meeting)
    _undecided(locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the member steps out of this item.")})
    seats = sitting_on(locked.meeting.committee, meeting_day(locked.meeting))
    if membership.pk not in {seat.pk for seat in seats}:
        raise ValidationError({"membership": _("Only a member sitting on the committee can be recused.")})
    if locked.recusals.filter(membership=membership).exists():
        raise ValidationError({"membership": _("This member's recusal is already recorded.")})
    if locked.votes.filter(membership=membership).exists():
        raise ValidationError({"membership": _("This member has already voted on this item.")})
    recusal = Recusal.objects.create(
        agenda_item=locked, membership=membership, reason=reason.strip(), recorded_by=by, recorded_at=timezone.now()
    )
    audit_record(
        actor=by,
        action=AuditAction.MEETING_RECUSAL_RECORDED,
        target=recusal,
        protocol=locked.submission.protocol,
        data=_item_data(locked, membership_id=membership.pk, user_id=membership.user_id, reason=recusal.reason),
    )
    return recusal


@transaction.atomic
def vote_cast(*, item: AgendaItem, by: User, choice: str) -> Vote:
    """A member's one vote on an item: present at the meeting and not conflicted
    (JP-ERC-07, JP-ERC-08, US-IRB-03). The unique constraint backs the check."""
    locked = _locked_item(item)
    seat = seat_at_meeting(by, locked.meeting)
    if seat is None:
        raise PermissionDenied
    conflict = item_conflicts(locked, [seat]).get(seat.pk)
    if conflict is not None:
        # Investigators (JP-ERC-07/08) and conflicted members (US-IRB-03) take no part.
        raise PermissionDenied
    _open(locked.meeting)
    _undecided(locked)
    if choice not in Vote.Choice.values:
        raise ValidationError({"choice": _("Choose for, against or abstain.")})
    if not attendance_of(locked.meeting).get(seat.pk):
        raise ValidationError(_("Only members recorded as present at the meeting can vote."))
    if locked.votes.filter(membership=seat).exists():
        raise ValidationError(_("You have already voted on this item."))
    vote = Vote.objects.create(agenda_item=locked, membership=seat, choice=choice, cast_at=timezone.now())
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_VOTE_CAST,
        target=vote,
        protocol=locked.submission.protocol,
        data=_item_data(locked, membership_id=seat.pk, choice=choice),
    )
    return vote


def can_decide(user: User, item: AgendaItem) -> bool:
    """The secretariat or an administrator records the decision, or the chair when not conflicted."""
    if can_manage_committee(user, item.meeting.committee):
        return True
    seat = seat_at_meeting(user, item.meeting)
    if seat is None or seat.role != CommitteeMembership.Role.CHAIR:
        return False
    return seat.pk not in item_conflicts(item, [seat])


def decision_refusals(item: AgendaItem, outcome: str | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The quorum verdict for the item and why a decision (of ``outcome``, when given) would be refused now.

    Without quorum no outcome can be issued (JP-ERC-06, US-IRB-04). An approving outcome also
    needs the votes to carry it under the committee's decision rule (JP-ERC-09, US-IRB-04)."""
    quorum = quorum_for_item(item)
    refusals = list(quorum["violations"])
    if quorum["valid"] and outcome in APPROVING_OUTCOMES:
        _met, failures = decision_rule_met(
            item.meeting.committee.decision_rule,
            tally_of(item),
            rule_set=item.meeting.committee.rule_set,
            counted_present=len(quorum["counted_ids"]),
        )
        refusals.extend(failures)
    return quorum, refusals


def refusal_text(refusal: dict[str, str]) -> str:
    return f"{refusal['text']} ({refusal['rule_id']})" if refusal["rule_id"] else refusal["text"]


@transaction.atomic
def item_decide(
    *, item: AgendaItem, by: User, outcome: str, reasons: str, conditions: Sequence[str] = ()
) -> AgendaItem:
    """Record the committee's outcome for the item on the meeting side, then the committee's
    decision on the submission (``decision_record``) in the same transaction: a refusal there
    undoes both."""
    locked = _locked_item(item)
    if not can_decide(by, locked):
        raise PermissionDenied
    _open(locked.meeting)
    _undecided(locked)
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": _("Choose an outcome.")})
    conditions = [condition.strip() for condition in conditions if condition.strip()]
    if not reasons.strip():
        raise ValidationError({"reasons": _("Give the reasons for the outcome.")})
    if outcome == Outcome.APPROVE_WITH_CONDITIONS and not conditions:
        raise ValidationError({"conditions": _("List the conditions of the approval.")})
    quorum, refusals = decision_refusals(locked, outcome)
    if refusals:
        raise ValidationError([refusal_text(refusal) for refusal in refusals])
    tally = tally_of(locked)
    locked.outcome = outcome
    locked.reasons = reasons.strip()
    locked.conditions = conditions if outcome == Outcome.APPROVE_WITH_CONDITIONS else []
    locked.tally = {
        **tally,
        "present": len(quorum["present_ids"]),
        "counted": len(quorum["counted_ids"]),
        "decision_rule": locked.meeting.committee.decision_rule,
    }
    locked.decided_at = timezone.now()
    locked.decided_by = by
    locked.save(update_fields=["outcome", "reasons", "conditions", "tally", "decided_at", "decided_by"])
    audit_record(
        actor=by,
        action=AuditAction.MEETING_ITEM_DECIDED,
        target=locked,
        protocol=locked.submission.protocol,
        data=_item_data(locked, outcome=outcome, reasons=locked.reasons, conditions=locked.conditions, votes=tally),
    )
    decision_record(
        submission=locked.submission,
        by=by,
        outcome=outcome,
        reasons=locked.reasons,
        conditions=tuple(locked.conditions),
        meeting_item_id=locked.pk,
        votes=tally,
    )
    return locked


@transaction.atomic
def minutes_update(*, meeting: Meeting, by: User, narrative: str) -> Meeting:
    """The secretariat's narrative of the minutes (US-IRB-08); the facts are generated, not typed."""
    _require_manager(by, meeting.committee)
    locked = _locked_meeting(meeting)
    _open(locked)
    old = locked.minutes_narrative
    if old == narrative:
        return locked
    locked.minutes_narrative = narrative
    locked.save(update_fields=["minutes_narrative"])
    audit_record(
        actor=by,
        action=AuditAction.MEETING_MINUTES_UPDATED,
        target=locked,
        data={"committee_id": locked.committee_id, "old": {"narrative": old}, "new": {"narrative": narrative}},
    )
    return locked


@transaction.atomic
def agenda_item_defer(*, item: AgendaItem, by: User, reason: str) -> AgendaItem:
    """Defer an undecided item to a later meeting, with the reason. The submission stays accepted
    for full-board review, so it can go on another meeting's agenda (see agenda_add)."""
    _require_manager(by, item.meeting.committee)
    locked = _locked_item(item)
    _open(locked.meeting)
    _undecided(locked)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item is deferred.")})
    locked.deferred_at = timezone.now()
    locked.deferred_by = by
    locked.deferral_reason = reason.strip()
    locked.save(update_fields=["deferred_at", "deferred_by", "deferral_reason"])
    event = audit_record(
        actor=by,
        action=AuditAction.MEETING_ITEM_DEFERRED,
        target=locked,
        protocol=locked.submission.protocol,
        data=_item_data(locked, reason=locked.deferral_reason, votes=tally_of(locked)),
    )
    # Off this agenda: the secretariat puts it on another; the members are told what changed.
    announce(protocol_ids=[locked.submission.protocol_id], by=by)
    meeting_notice(
        meeting=locked.meeting, by=by, change=notices.deferred(locked, locked.deferral_reason), occasion=event
    )
    return locked


@transaction.atomic
def agenda_item_remove(*, item: AgendaItem, by: User, reason: str) -> Meeting:
    """Take an item off the agenda before the committee takes it up: one put on by mistake, say.

    Unlike a deferral nothing of it stays on the meeting's record (the audit event keeps it, with
    the reason, and any recusal recorded on it): the items after it move up, the submission waits
    again to be put on an agenda (the secretariat's step comes back), and the members are told.
    Refused once the item is decided or deferred, or a vote is cast on it: the minutes must say
    what happened to it, so such an item is deferred instead."""
    _require_manager(by, item.meeting.committee)
    locked = _locked_item(item)
    _open(locked.meeting)
    if locked.outcome:
        raise ValidationError(_("This item has already been decided; it stays on the agenda and in the minutes."))
    if locked.is_deferred:
        raise ValidationError(
            _("This item was deferred to a later meeting; the deferral stays on the agenda and in the minutes.")
        )
    if locked.votes.exists():
        raise ValidationError(
            _(
                "Votes have been cast on this item, so it can no longer be taken off the agenda. "
                "Defer it to a later meeting instead."
            )
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the item is taken off the agenda.")})
    meeting = locked.meeting
    recusals = [
        {"membership_id": recusal.membership_id, "reason": recusal.reason} for recusal in locked.recusals.order_by("id")
    ]
    after = list(meeting.items.filter(order__gt=locked.order).order_by("order", "id").values_list("pk", flat=True))
    event = audit_record(
        actor=by,
        action=AuditAction.MEETING_ITEM_REMOVED,
        target=locked,
        protocol=locked.submission.protocol,
        data=_item_data(locked, order=locked.order, reason=reason.strip(), recusals=recusals, moved_up=after),
    )
    change = notices.taken_off(locked, reason.strip())
    protocol_id = locked.submission.protocol_id
    locked.delete()
    AgendaItem.objects.filter(pk__in=after).update(order=F("order") - 1)
    # The submission waits for an agenda again (the secretariat's step); the members are told.
    announce(protocol_ids=[protocol_id], by=by)
    meeting_notice(meeting=meeting, by=by, change=change, occasion=event)
    return meeting


def close_refusals(meeting: Meeting) -> list[str]:
    """Why the meeting cannot be closed now (empty when it can): attendance never recorded,
    or items neither decided nor deferred."""
    transition = next(t for t in workflow.MEETING_TRANSITIONS if t.action == "close")
    if meeting.status not in transition.sources:
        return [str(transition.refused.get(meeting.status, workflow.CLOSED_REASON))]
    refusals = []
    if not attendance_of(meeting):
        refusals.append(str(transition.refused[Meeting.Status.SCHEDULED]))
    pending = [item for item in meeting.items.select_related("submission__protocol") if item.is_pending]
    if pending:
        refusals.append(
            _("Decide or defer every item first. Still open: %(items)s.")
            % {"items": "; ".join(f"{item.order}. {item.submission.protocol}" for item in pending)}
        )
    return refusals


@transaction.atomic
def meeting_close(*, meeting: Meeting, by: User) -> Meeting:
    """Close a held meeting whose items are all decided or deferred. From then on every write
    to its record is refused (``_open``), and the minutes are final (US-IRB-08)."""
    _require_manager(by, meeting.committee)
    locked = _locked_meeting(meeting)
    transition = workflow.transition_for("close", locked.status)
    refusals = close_refusals(locked)
    if refusals:
        raise ValidationError(refusals)
    old_status = locked.status
    locked.status = transition.target
    locked.closed_at = timezone.now()
    locked.closed_by = by
    locked.save(update_fields=["status", "closed_at", "closed_by"])
    items = list(locked.items.order_by("order", "id"))
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={
            "committee_id": locked.committee_id,
            "old": {"status": old_status},
            "new": {"status": locked.status},
            "decided_item_ids": [item.pk for item in items if item.outcome],
            "deferred_item_ids": [item.pk for item in items if item.is_deferred],
        },
    )
    inbox.refresh_institutions([locked.committee.institution_id])
    return locked
