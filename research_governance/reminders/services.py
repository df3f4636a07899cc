"""The daily reminder scan: what is about to lapse or is late, each reminder sent once.

Set-based: each finder is one query whatever the number of approvals; the reminders already
sent are read back in one query, the new ones recorded with INSERT ... ON CONFLICT DO NOTHING
RETURNING, so the unique constraint has the last word (a second run the same day, or a
concurrent one, sends nothing), and the people to tell are read in one query per audience.
Each new reminder then costs one INSERT of its notifications (``notify``). Approvals whose
period is over expire first through ``reviews.services.approvals_expire`` (set-based too, with
one audit event and one team notification per approval).

Besides the specific finders, ``work_due`` asks every declared workflow (``core.work``) what is
pending on the subjects that can have work, and reminds each step's actors once when it falls
due within two days and once when it is overdue (except the steps the specific finders cover,
``COVERED_ELSEWHERE``). So a step another workflow adds is reminded without a finder of its own.

Thresholds are windows, not single days: the 30-day reminder is owed from 30 down to 8 days
before, so a day the scan did not run is caught up the next day instead of lost, and an
approval issued for less than 90 days gets the reminder for the window it starts in.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial, reduce
from operator import or_
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, DateField, Exists, F, Func, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.agreements.cascade_services import agreements_expire
from research_governance.agreements.models import Agreement, DataAccessRequest, RequestTeamMember
from research_governance.agreements.permissions import OFFICER_ROLES
from research_governance.agreements.workflow import AgreementStatus, RequestStatus
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.core.work import WorkItem, work_about
from research_governance.notifications.messages import bilingual, in_each_language
from research_governance.notifications.services import Notice, notify_many
from research_governance.protocols.models import Protocol, ProtocolStatus, ProtocolUserObjectPermission
from research_governance.protocols.permissions import permission_id
from research_governance.reviews.models import Approval, Condition, Report, ReviewerAssignment, Submission
from research_governance.reviews.services import approvals_expire
from research_governance.reviews.workflow import (
    ApprovalStatus,
    SubmissionKind,
    SubmissionStatus,
)

from .models import Reminder, ReminderKind

# Days before the approval's last day; "0" is the last day itself (it expires the day after).
APPROVAL_THRESHOLDS = (90, 60, 30, 7, 0)
# Days before a progress report falls due (JP-R-01); "7" covers the due day too. Then "overdue".
PROGRESS_REPORT_THRESHOLDS = (30, 7)
# Days before a data-sharing agreement's last day (the requesting team); "0" is the last day.
AGREEMENT_THRESHOLDS = (60, 30, 7, 0)
# A missing destruction record is chased every so many days after the destruction date.
DESTRUCTION_CHASE_DAYS = 30
# Days after a decision with conditions that are still unanswered: two weeks is a fair time to
# answer, a month a firm second reminder. Counted on the decision's date in the local time zone.
CONDITION_THRESHOLDS = (14, 30)
OVERDUE = "overdue"

# The research is still going (the conditions are answered while permission is awaited too).
_LIVE_PROTOCOL_STATUSES = (ProtocolStatus.AWAITING_PERMISSION, ProtocolStatus.APPROVED, ProtocolStatus.SUSPENDED)


@dataclass(slots=True)
class Owed:
    """One reminder a finder says is owed. Its notification (message kind, parameters, link) is
    built by ``notice`` only if the reminder turns out to be new: most are found again each day."""

    kind: str
    threshold: str
    object_type: str
    object_id: int
    due_on: date
    # None for a data-sharing agreement, which may cover the data of several protocols.
    protocol_id: int | None
    institution_id: int
    notice: Callable[[], tuple[str, dict[str, Any], str]]
    # Who is told: the protocol's team, the institution's secretariat, or one user (a reviewer);
    # for data sharing, a request's team (the recipient side) and the data access committee's officers.
    to_team: bool = True
    to_secretariat: bool = False
    to_user_id: int | None = None
    # The actors of a pending step (``work_due``).
    to_user_ids: frozenset[int] = frozenset()
    to_request_team_of: int | None = None
    to_dac_officers: bool = False

    @property
    def key(self) -> tuple[str, int, str, str, date]:
        return (self.object_type, self.object_id, self.kind, self.threshold, self.due_on)


@dataclass
class ScanSummary:
    now: datetime
    today: date
    expired: int = 0
    agreements_expired: int = 0
    # kind -> threshold -> {"found": n, "sent": n}
    reminders: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": timezone.localtime(self.now).isoformat(),
            "today": self.today.isoformat(),
            "expired": self.expired,
            "agreements_expired": self.agreements_expired,
            "reminders": self.reminders,
            "found": sum(c["found"] for by_threshold in self.reminders.values() for c in by_threshold.values()),
            "sent": sum(c["sent"] for by_threshold in self.reminders.values() for c in by_threshold.values()),
        }


class AddMonths(Func):
    """``date`` plus ``months`` months as ``reviews.services.add_months`` counts them: the same day
    of the month, or the month's last day when that day does not exist (31 January + 1 = 28/29 February)."""

    arity = 2
    output_field = DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        day_sql, day_params = compiler.compile(self.source_expressions[0])
        months_sql, months_params = compiler.compile(self.source_expressions[1])
        # PostgreSQL's month arithmetic already clamps to the month's last day.
        return f"CAST(({day_sql}) + make_interval(months => CAST(({months_sql}) AS integer)) AS date)", [
            *day_params,
            *months_params,
        ]

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:
        # SQLite rolls 31 January + 1 month over into March: take the earlier of "the same day
        # counted from the start of the month" and "the last day of the target month".
        day_sql, day_params = compiler.compile(self.source_expressions[0])
        months_sql, months_params = compiler.compile(self.source_expressions[1])
        same_day = (
            f"date({day_sql}, 'start of month', '+' || ({months_sql}) || ' months', "
            f"'+' || (CAST(strftime('%%d', {day_sql}) AS integer) - 1) || ' days')"
        )
        last_day = f"date({day_sql}, 'start of month', '+' || (({months_sql}) + 1) || ' months', '-1 day')"
        params = [*day_params, *months_params, *day_params, *day_params, *months_params]
        return f"MIN({same_day}, {last_day})", params


def _window(days_left: int, thresholds: Sequence[int]) -> str:
    """The threshold whose window holds ``days_left``: the smallest one not below it."""
    return str(min(t for t in thresholds if t >= days_left))


def _about(row: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters every reminder about a protocol carries (as reviews.services does)."""
    return {"reference": row["protocol_reference"], "title": bilingual(row["title_ja"], row["title_en"])}


def _notice(
    message: str, row: Mapping[str, Any], extra: dict[str, Any], link_name: str = "protocols:detail", link_id: int = 0
) -> tuple[str, dict[str, Any], str]:
    """A reminder's message kind, parameters and link (by default the protocol's page)."""
    return message, {**_about(row), **extra}, reverse(link_name, args=[link_id or row["protocol_id"]])


_PROTOCOL_FIELDS = {
    "protocol_reference": F("protocol__reference"),
    "title_ja": F("protocol__title_ja"),
    "title_en": F("protocol__title_en"),
    "institution_id": F("protocol__institution_id"),
}


# ---------------------------------------------------------------------------------------
# Finders: one query each.
# ---------------------------------------------------------------------------------------


def approvals_expiring(today: date) -> list[Owed]:
    """Active approvals whose last day is at most 90 days away (today included)."""
    # Mappings: the type checker sees the named columns but not those spread from _PROTOCOL_FIELDS.
    rows: Iterable[Mapping[str, Any]] = Approval.objects.filter(
        status=ApprovalStatus.ACTIVE,
        valid_until__gte=today,
        valid_until__lte=today + timedelta(days=max(APPROVAL_THRESHOLDS)),
    ).values("pk", "protocol_id", "valid_until", **_PROTOCOL_FIELDS)
    owed = []
    for row in rows:
        days_left = (row["valid_until"] - today).days
        threshold = _window(days_left, APPROVAL_THRESHOLDS)
        owed.append(
            Owed(
                kind=ReminderKind.APPROVAL_EXPIRY,
                threshold=threshold,
                object_type="reviews.approval",
                object_id=row["pk"],
                due_on=row["valid_until"],
                protocol_id=row["protocol_id"],
                institution_id=row["institution_id"],
                notice=partial(
                    _notice,
                    "reminder.approval_last_day" if days_left == 0 else "reminder.approval_expiring",
                    row,
                    {"valid_until": row["valid_until"], "days": days_left},
                ),
            )
        )
    return owed


def progress_reports_due(today: date) -> list[Owed]:
    """Live approvals whose next progress report (JP-R-01) is due within 30 days or overdue.

    Due as ``reviews.panels.progress_report_due`` says, computed in the database: the protocol's
    interval (12 months when unset) after the end of the period last reported under this
    approval, or after the approval began."""
    last_reported = (
        Report.objects.filter(
            submission__protocol=OuterRef("protocol"),
            submission__kind=SubmissionKind.PROGRESS_REPORT,
            submission__submitted_at__gte=OuterRef("created_at"),
            period_to__isnull=False,
        )
        .exclude(submission__status=SubmissionStatus.WITHDRAWN)
        .order_by("-period_to")
        .values("period_to")[:1]
    )
    interval = Coalesce(NullIf(F("protocol__progress_report_interval_months"), Value(0)), Value(12))
    rows = (
        Approval.objects.filter(status__in=[ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED])
        .annotate(due=AddMonths(Coalesce(Subquery(last_reported), F("valid_from")), interval))
        .filter(due__lte=today + timedelta(days=max(PROGRESS_REPORT_THRESHOLDS)))
        .values("pk", "protocol_id", "due", **_PROTOCOL_FIELDS)
    )
    owed = []
    for row in rows:
        days_left = (row["due"] - today).days
        overdue = days_left < 0
        owed.append(
            Owed(
                kind=ReminderKind.PROGRESS_REPORT,
                threshold=OVERDUE if overdue else _window(days_left, PROGRESS_REPORT_THRESHOLDS),
                object_type="reviews.approval",
                object_id=row["pk"],
                due_on=row["due"],
                protocol_id=row["protocol_id"],
                institution_id=row["institution_id"],
                notice=partial(
                    _notice,
                    "reminder.progress_report_overdue" if overdue else "reminder.progress_report_due",
                    row,
                    {"due_date": row["due"]},
                ),
                # The secretariat chases a report that is late.
                to_secretariat=overdue,
            )
        )
    return owed


def conditions_unanswered(today: date) -> list[Owed]:
    """Decisions of live research with conditions still unanswered 14 days or more after the decision."""
    first = min(CONDITION_THRESHOLDS)
    # Decided on or before today - 14 (local dates): before local midnight of the day after that.
    decided_before = timezone.make_aware(datetime.combine(today - timedelta(days=first - 1), time.min))
    rows = (
        Condition.objects.filter(
            responded_at__isnull=True,
            signed_off_at__isnull=True,
            decision__decided_at__lt=decided_before,
            decision__submission__protocol__status__in=_LIVE_PROTOCOL_STATUSES,
        )
        .values("decision_id")
        .annotate(
            count=Count("pk"),
            decided_at=F("decision__decided_at"),
            protocol_id=F("decision__submission__protocol_id"),
            protocol_reference=F("decision__submission__protocol__reference"),
            title_ja=F("decision__submission__protocol__title_ja"),
            title_en=F("decision__submission__protocol__title_en"),
            institution_id=F("decision__submission__protocol__institution_id"),
        )
        .order_by()
    )
    owed = []
    for row in rows:
        decided_on = timezone.localdate(row["decided_at"])
        age = (today - decided_on).days
        owed.append(
            Owed(
                kind=ReminderKind.CONDITIONS_UNANSWERED,
                threshold=str(max(t for t in CONDITION_THRESHOLDS if t <= age)),
                object_type="reviews.decision",
                object_id=row["decision_id"],
                due_on=decided_on,
                protocol_id=row["protocol_id"],
                institution_id=row["institution_id"],
                notice=partial(
                    _notice, "reminder.conditions_unanswered", row, {"decided_on": decided_on, "count": row["count"]}
                ),
            )
        )
    return owed


def reviews_overdue(today: date) -> list[Owed]:
    """Reviewer assignments still open after their due date, on submissions still under review."""
    rows = ReviewerAssignment.objects.filter(
        status=ReviewerAssignment.Status.ASSIGNED,
        due_date__lt=today,
        submission__status=SubmissionStatus.ACCEPTED,
    ).values(
        "pk",
        "reviewer_id",
        "due_date",
        protocol_id=F("submission__protocol_id"),
        protocol_reference=F("submission__protocol__reference"),
        title_ja=F("submission__protocol__title_ja"),
        title_en=F("submission__protocol__title_en"),
        institution_id=F("submission__protocol__institution_id"),
    )
    return [
        Owed(
            kind=ReminderKind.REVIEW_OVERDUE,
            threshold=OVERDUE,
            object_type="reviews.reviewerassignment",
            object_id=row["pk"],
            due_on=row["due_date"],
            protocol_id=row["protocol_id"],
            institution_id=row["institution_id"],
            notice=partial(
                _notice, "reminder.review_overdue", row, {"due_date": row["due_date"]}, "reviews:workspace", row["pk"]
            ),
            to_team=False,
            to_user_id=row["reviewer_id"],
        )
        for row in rows
    ]


def _agreement_notice(message: str, row: dict[str, Any], extra: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    params = {"reference": row["reference"], "title": row["request__title"], **extra}
    return message, params, reverse("agreements:request_detail", args=[row["request_id"]])


_AGREEMENT_FIELDS = ("pk", "reference", "term_end", "destruction_due", "request_id", "request__title")


def agreements_ending(today: date) -> list[Owed]:
    """Active data-sharing agreements whose term ends within 60 days (today included): the
    requesting team is reminded, as for approvals, at 60, 30 and 7 days and on the last day."""
    rows = Agreement.objects.filter(
        status=AgreementStatus.ACTIVE,
        term_end__gte=today,
        term_end__lte=today + timedelta(days=max(AGREEMENT_THRESHOLDS)),
    ).values(*_AGREEMENT_FIELDS, institution_id=F("request__institution_id"))
    owed = []
    for row in rows:
        days_left = (row["term_end"] - today).days
        owed.append(
            Owed(
                kind=ReminderKind.AGREEMENT_TERM_END,
                threshold=_window(days_left, AGREEMENT_THRESHOLDS),
                object_type="agreements.agreement",
                object_id=row["pk"],
                due_on=row["term_end"],
                protocol_id=None,
                institution_id=row["institution_id"],
                notice=partial(
                    _agreement_notice,
                    "reminder.agreement_last_day" if days_left == 0 else "reminder.agreement_ending",
                    row,
                    {"term_end": row["term_end"], "days": days_left, "destruction_due": row["destruction_due"]},
                ),
                to_team=False,
                to_request_team_of=row["request_id"],
            )
        )
    return owed


def destructions_missing(today: date) -> list[Owed]:
    """Agreements that have ended (expired or terminated) with no destruction record (issue 6,
    item 9): the requesting team is told once when the agreement has ended, then, from the day
    after the destruction date, the team and the committee's officers every 30 days until the
    destruction is recorded (the due date of each chase is the start of its 30-day period)."""
    rows = Agreement.objects.filter(
        status__in=[AgreementStatus.EXPIRED, AgreementStatus.TERMINATED], destruction__isnull=True
    ).values(*_AGREEMENT_FIELDS, institution_id=F("request__institution_id"))
    owed = []
    for row in rows:
        due = row["destruction_due"]
        overdue = today > due
        chase_from = due + timedelta(
            days=1 + ((today - due).days - 1) // DESTRUCTION_CHASE_DAYS * DESTRUCTION_CHASE_DAYS
        )
        owed.append(
            Owed(
                kind=ReminderKind.DESTRUCTION_RECORD,
                threshold=OVERDUE if overdue else "due",
                object_type="agreements.agreement",
                object_id=row["pk"],
                due_on=chase_from if overdue else due,
                protocol_id=None,
                institution_id=row["institution_id"],
                notice=partial(
                    _agreement_notice,
                    "reminder.destruction_overdue" if overdue else "reminder.destruction_due",
                    row,
                    {"destruction_due": due},
                ),
                to_team=False,
                to_request_team_of=row["request_id"],
                to_dac_officers=overdue,
            )
        )
    return owed


# ---------------------------------------------------------------------------------------
# Pending steps of every workflow (core.work) that fall due soon or are overdue.
# ---------------------------------------------------------------------------------------

# A step is reminded when it falls due within this many days (today included), and once more
# when it is overdue.
WORK_DUE_SOON_DAYS = 2
SOON = "soon"

# Steps a specific finder above already reminds about, and at which thresholds: reminding again
# here would tell the same people twice about the same thing. A reviewer's review is reminded
# by ``reviews_overdue`` once overdue (so only "soon" comes from here); conditions, progress
# reports and the destruction of shared data have their own schedules (two weeks and a month
# after the decision; 30 and 7 days before, then overdue; due, then every 30 days), which this
# generic one would only repeat.
COVERED_ELSEWHERE: dict[str, frozenset[str]] = {
    "ethics.review": frozenset({OVERDUE}),
    "ethics.answer_condition": frozenset({SOON, OVERDUE}),
    "ethics.progress_report": frozenset({SOON, OVERDUE}),
    "data.destruction": frozenset({SOON, OVERDUE}),
}

# Protocols that cannot have work pending: not yet submitted, no review needed, or closed.
_NO_WORK_PROTOCOL_STATUSES = (ProtocolStatus.DRAFT, ProtocolStatus.NOT_APPLICABLE, ProtocolStatus.CLOSED)
_OPEN_SUBMISSION_STATUSES = (SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED, SubmissionStatus.ACCEPTED)
_OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.RETURNED, RequestStatus.ACCEPTED)
# work_about is asked about this many subjects at a time: each source runs a few queries per call.
_WORK_BATCH = 2000


def subjects_with_open_work() -> tuple[list[int], list[int]]:
    """The protocols and data-access requests on which a step may be pending, in two queries:
    protocols that are submitted, in review, awaiting permission or live (or with a submission
    still open), and requests under way or with an agreement not yet wound up (unsigned, in
    force, or ended without a destruction record)."""
    open_submission = Exists(Submission.objects.filter(protocol=OuterRef("pk"), status__in=_OPEN_SUBMISSION_STATUSES))
    protocol_ids = list(
        Protocol.objects.filter(~Q(status__in=_NO_WORK_PROTOCOL_STATUSES) | open_submission)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    request_ids = list(
        DataAccessRequest.objects.filter(
            Q(status__in=_OPEN_REQUEST_STATUSES)
            | Q(
                status=RequestStatus.DECIDED,
                agreement__status__in=[
                    AgreementStatus.AWAITING_SIGNATURES,
                    AgreementStatus.ACTIVE,
                    AgreementStatus.SUSPENDED,
                ],
            )
            | Q(
                status=RequestStatus.DECIDED,
                agreement__status__in=[AgreementStatus.EXPIRED, AgreementStatus.TERMINATED],
                agreement__destruction__isnull=True,
            )
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return protocol_ids, request_ids


def _work_object_id(key: str) -> int:
    """A work item's key (any text) as the reminder's object id: 63 bits of its SHA-256."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") >> 1


def _work_notice(item: WorkItem, overdue: bool) -> tuple[str, dict[str, Any], str]:
    params = {
        "step": in_each_language(item.step.label),
        "detail": {code: f" ({text})" for code, text in in_each_language(item.detail).items()} if item.detail else "",
        "reference": item.reference,
        "title": item.title,
        "due_date": item.due,
    }
    return ("reminder.work_overdue" if overdue else "reminder.work_due"), params, item.link


def work_due(today: date) -> list[Owed]:
    """Every pending step of every workflow (``core.work.work_about``) with a due date at most
    two days away or passed: its actors are reminded once when it falls due soon and once when
    it is overdue. A new due date (an extension) is a new reminder, as for reviews."""
    protocol_ids, request_ids = subjects_with_open_work()
    items: list[WorkItem] = []
    for start in range(0, max(len(protocol_ids), len(request_ids)), _WORK_BATCH):
        items += work_about(
            protocol_ids=protocol_ids[start : start + _WORK_BATCH],
            request_ids=request_ids[start : start + _WORK_BATCH],
        )
    owed: list[Owed] = []
    seen: set[str] = set()
    for item in items:
        if item.due is None or (item.due - today).days > WORK_DUE_SOON_DAYS or not item.actor_ids:
            continue
        if item.key in seen:
            continue
        seen.add(item.key)
        overdue = item.due < today
        threshold = OVERDUE if overdue else SOON
        if threshold in COVERED_ELSEWHERE.get(item.step.code, frozenset()):
            continue
        owed.append(
            Owed(
                kind=ReminderKind.WORK_DUE,
                threshold=threshold,
                object_type=f"work:{item.step.code}"[:60],
                object_id=_work_object_id(item.key),
                due_on=item.due,
                protocol_id=item.protocol_id,
                institution_id=item.institution_id,
                notice=partial(_work_notice, item, overdue),
                to_team=False,
                to_user_ids=item.actor_ids,
            )
        )
    return owed


FINDERS: tuple[tuple[str, tuple[str, ...], Callable[[date], list[Owed]]], ...] = (
    (ReminderKind.APPROVAL_EXPIRY, tuple(map(str, APPROVAL_THRESHOLDS)), approvals_expiring),
    (ReminderKind.PROGRESS_REPORT, (*map(str, PROGRESS_REPORT_THRESHOLDS), OVERDUE), progress_reports_due),
    (ReminderKind.CONDITIONS_UNANSWERED, tuple(map(str, CONDITION_THRESHOLDS)), conditions_unanswered),
    (ReminderKind.REVIEW_OVERDUE, (OVERDUE,), reviews_overdue),
    (ReminderKind.AGREEMENT_TERM_END, tuple(map(str, AGREEMENT_THRESHOLDS)), agreements_ending),
    (ReminderKind.DESTRUCTION_RECORD, ("due", OVERDUE), destructions_missing),
    (ReminderKind.WORK_DUE, (SOON, OVERDUE), work_due),
)


# ---------------------------------------------------------------------------------------
# Recording and telling
# ---------------------------------------------------------------------------------------

_INSERT_BATCH = 1000
_IN_BATCH = 5000


def _already_sent(owed: Sequence[Owed]) -> set[tuple[str, int, str, str, date]]:
    """The keys of the owed reminders sent before, read in one query on (kind, threshold, due date
    range): most reminders found on a day were sent on an earlier one, and reading them back is
    far cheaper than offering each to the unique index again."""
    ranges: dict[tuple[str, str], tuple[date, date]] = {}
    for item in owed:
        low, high = ranges.get((item.kind, item.threshold), (item.due_on, item.due_on))
        ranges[(item.kind, item.threshold)] = (min(low, item.due_on), max(high, item.due_on))
    if not ranges:
        return set()
    condition = reduce(
        or_, (Q(kind=kind, threshold=threshold, due_on__range=span) for (kind, threshold), span in ranges.items())
    )
    return set(
        Reminder.objects.filter(condition).values_list("object_type", "object_id", "kind", "threshold", "due_on")
    )


def _record_new(owed: Sequence[Owed], *, now: datetime) -> set[tuple[str, int, str, str, date]]:
    """Record the owed reminders not sent before; return the keys of those recorded now.

    The unique constraint decides: a row already there (sent by an earlier run, or by a run
    committing concurrently) is skipped by ON CONFLICT DO NOTHING and not returned. PostgreSQL
    and SQLite (>= 3.35) both support this statement."""
    scan_at = connection.ops.adapt_datetimefield_value(now)
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    quote = connection.ops.quote_name
    columns = ["object_type", "object_id", "kind", "threshold", "due_on", "protocol_id", "scan_at", "sent_at"]
    new: set[tuple[str, int, str, str, date]] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(owed), _INSERT_BATCH):
            batch = owed[start : start + _INSERT_BATCH]
            placeholders = ", ".join(["(" + ", ".join(["%s"] * len(columns)) + ")"] * len(batch))
            params: list[Any] = []
            for item in batch:
                object_type, object_id, kind, threshold, due_on = item.key
                params += [object_type, object_id, kind, threshold, connection.ops.adapt_datefield_value(due_on)]
                params += [item.protocol_id, scan_at, sent_at]
            # Only quoted identifiers and placeholders are formatted in; the values are parameters.
            statement = (
                f"INSERT INTO {quote(Reminder._meta.db_table)} ({', '.join(map(quote, columns))}) "  # noqa: S608
                f"VALUES {placeholders} ON CONFLICT DO NOTHING "
                "RETURNING object_type, object_id, kind, threshold, due_on"
            )
            cursor.execute(statement, params)
            for object_type, object_id, kind, threshold, due_on in cursor.fetchall():
                if not isinstance(due_on, date):  # SQLite returns the date as text
                    due_on = date.fromisoformat(due_on)
                new.add((object_type, object_id, kind, threshold, due_on))
    return new


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_BATCH):
        yield ordered[start : start + _IN_BATCH]


def _teams(protocol_ids: Iterable[int]) -> dict[int, list[User]]:
    """Everyone on each protocol's team (view_protocol), active users only."""
    teams: dict[int, list[User]] = defaultdict(list)
    for chunk in _chunks(protocol_ids):
        rows = ProtocolUserObjectPermission.objects.filter(
            content_object_id__in=chunk, permission_id=permission_id("view_protocol"), user__is_active=True
        ).select_related("user")
        for row in rows:
            teams[row.content_object_id].append(row.user)
    return teams


def _secretariats(institution_ids: Iterable[int], today: date) -> dict[int, list[User]]:
    staff: dict[int, list[User]] = defaultdict(list)
    ids = set(institution_ids)
    if ids:
        rows = (
            RoleMembership.objects.current(today)
            .filter(role=Role.SECRETARIAT, institution_id__in=ids, user__is_active=True)
            .select_related("user")
        )
        for row in rows:
            staff[row.institution_id].append(row.user)
    return staff


def _users(user_ids: Iterable[int]) -> dict[int, User]:
    users: dict[int, User] = {}
    for chunk in _chunks(user_ids):
        users.update((user.pk, user) for user in User.objects.filter(pk__in=chunk, is_active=True))
    return users


def _request_teams(request_ids: Iterable[int]) -> dict[int, list[User]]:
    """The requester and team of each data-access request (the recipient side), active users only."""
    teams: dict[int, list[User]] = defaultdict(list)
    for chunk in _chunks(request_ids):
        for data_request in DataAccessRequest.objects.filter(pk__in=chunk, requester__is_active=True).select_related(
            "requester"
        ):
            teams[data_request.pk].append(data_request.requester)
        for member in RequestTeamMember.objects.filter(request_id__in=chunk, user__is_active=True).select_related(
            "user"
        ):
            teams[member.request_id].append(member.user)
    return teams


def _dac_officers(institution_ids: Iterable[int], today: date) -> dict[int, list[User]]:
    """The chair and secretariat of each institution's data access committee."""
    officers: dict[int, list[User]] = defaultdict(list)
    ids = set(institution_ids)
    if ids:
        rows = CommitteeMembership.objects.filter(
            Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today)),
            committee__institution_id__in=ids,
            committee__kind=Committee.Kind.DATA_ACCESS,
            role__in=OFFICER_ROLES,
            user__is_active=True,
        ).select_related("user", "committee")
        for row in rows:
            officers[row.committee.institution_id].append(row.user)
    return officers


def _tell(new: Sequence[Owed], today: date) -> None:
    """Notify the people each new reminder is for: one query per audience, one INSERT for all."""
    teams = _teams(item.protocol_id for item in new if item.to_team and item.protocol_id is not None)
    secretariats = _secretariats((item.institution_id for item in new if item.to_secretariat), today)
    users = _users(
        [item.to_user_id for item in new if item.to_user_id is not None]
        + [user_id for item in new for user_id in item.to_user_ids]
    )
    request_teams = _request_teams(item.to_request_team_of for item in new if item.to_request_team_of is not None)
    officers = _dac_officers((item.institution_id for item in new if item.to_dac_officers), today)
    notices: list[Notice] = []
    for item in new:
        recipients: list[User] = []
        if item.to_team and item.protocol_id is not None:
            recipients += teams.get(item.protocol_id, [])
        if item.to_secretariat:
            recipients += secretariats.get(item.institution_id, [])
        if item.to_user_id in users:
            recipients.append(users[item.to_user_id])
        recipients += [users[user_id] for user_id in sorted(item.to_user_ids) if user_id in users]
        if item.to_request_team_of is not None:
            recipients += request_teams.get(item.to_request_team_of, [])
        if item.to_dac_officers:
            recipients += officers.get(item.institution_id, [])
        message, params, link = item.notice()
        # A stand-in carrying only the id: the notification stores the protocol's id, nothing more.
        protocol = Protocol(pk=item.protocol_id) if item.protocol_id is not None else None
        notices.append(Notice(recipients=recipients, kind=message, params=params, link=link, protocol=protocol))
    notify_many(notices)


def _expire_ended(today: date, summary: ScanSummary) -> None:
    """Expire every live approval whose last day is before today (``approvals_expire``: locked,
    audited one by one, protocols and teams told)."""
    summary.expired = len(approvals_expire(today=today))
    # Data-sharing agreements whose term is over (their grants are inactive already).
    summary.agreements_expired = len(agreements_expire(today=today))


@transaction.atomic
def reminders_scan(*, now: datetime | None = None) -> ScanSummary:
    """The daily scan for ``now`` (default: the current time), in one transaction.

    First approvals whose period is over expire (so they are not reminded about), and the
    data-sharing agreements whose term is over (those depending on an approval that expired are
    suspended by it), then each
    finder lists the reminders owed today, the new ones are recorded and their people notified.
    Running it again for the same day finds the same things and sends nothing."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    summary = ScanSummary(now=now, today=today)
    if connection.vendor == "postgresql":
        # Compiling these one-off scans over every approval costs PostgreSQL more than it saves
        # (measured: 0.5 s of 1.3 s at 100,000 approvals); for this transaction only.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
    _expire_ended(today, summary)
    owed: list[Owed] = []
    for kind, thresholds, finder in FINDERS:
        counts = summary.reminders.setdefault(kind, {t: {"found": 0, "sent": 0} for t in thresholds})
        for item in finder(today):
            counts[item.threshold]["found"] += 1
            owed.append(item)
    sent_before = _already_sent(owed)
    new_keys = _record_new([item for item in owed if item.key not in sent_before], now=now)
    new = [item for item in owed if item.key in new_keys]
    for item in new:
        summary.reminders[item.kind][item.threshold]["sent"] += 1
    _tell(new, today)
    return summary
