"""A meeting's lifecycle, declared as data: scheduled (and rescheduled while it is still to be
held), held once attendance is recorded, closed when every item is decided or deferred.
Services consult this table and nothing else; reading it shows the whole lifecycle.

Every transition is the secretariat's (or an administrator's): members vote and the chair
decides items, but only the secretariat changes the meeting itself. While a meeting is not
closed its record (agenda, attendance, recusals, votes, decisions, narrative) may change;
once closed nothing does, so the minutes are final (US-IRB-08)."""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.audit.actions import AuditAction
from research_governance.reviews.models import Meeting

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

Status = Meeting.Status


@dataclass(frozen=True)
class MeetingTransition:
    action: str
    # A source of "" means the meeting does not exist yet.
    sources: frozenset[str]
    target: str
    audit_action: AuditAction
    label: Promise
    # Why the action is refused from any other status, by that status.
    refused: "dict[str, StrPromise]"


MEETING_TRANSITIONS: tuple[MeetingTransition, ...] = (
    MeetingTransition(
        action="schedule",
        sources=frozenset({""}),
        target=Status.SCHEDULED,
        audit_action=AuditAction.MEETING_SCHEDULED,
        label=_("Schedule a meeting"),
        refused={},
    ),
    MeetingTransition(
        # Another date, time or place, while the meeting is still to be held: once attendance is
        # recorded it took place when and where it says, with the members sitting on that day.
        action="reschedule",
        sources=frozenset({Status.SCHEDULED}),
        target=Status.SCHEDULED,
        audit_action=AuditAction.MEETING_RESCHEDULED,
        label=_("Reschedule the meeting"),
        refused={
            Status.HELD: _(
                "Attendance has been recorded: the meeting has taken place and can no longer be rescheduled."
            ),
            Status.CLOSED: _("This meeting is closed; it can no longer be rescheduled."),
        },
    ),
    MeetingTransition(
        # Recording attendance the first time is what makes a scheduled meeting "held"; it may be
        # corrected while no vote is cast (a guard in attendance_record, not a status).
        action="record_attendance",
        sources=frozenset({Status.SCHEDULED, Status.HELD}),
        target=Status.HELD,
        audit_action=AuditAction.MEETING_ATTENDANCE_RECORDED,
        label=_("Record attendance"),
        refused={Status.CLOSED: _("This meeting is closed; its attendance can no longer change.")},
    ),
    MeetingTransition(
        action="close",
        sources=frozenset({Status.HELD}),
        target=Status.CLOSED,
        audit_action=AuditAction.MEETING_CLOSED,
        label=_("Close the meeting"),
        refused={
            Status.SCHEDULED: _(
                "Attendance was never recorded at this meeting. Record who attended before closing it."
            ),
            Status.CLOSED: _("This meeting is already closed."),
        },
    ),
)

# Statuses in which the meeting's record may still change.
OPEN_STATUSES = frozenset({Status.SCHEDULED, Status.HELD})
CLOSED_REASON = _("This meeting is closed; its record can no longer change.")


def transition_for(action: str, status: str) -> MeetingTransition:
    """The transition ``action`` from ``status``; a ValidationError with the reason when refused."""
    transition = next(candidate for candidate in MEETING_TRANSITIONS if candidate.action == action)
    if status not in transition.sources:
        raise ValidationError(transition.refused.get(status, CLOSED_REASON))
    return transition


def is_open(meeting: Meeting) -> bool:
    return meeting.status in OPEN_STATUSES
