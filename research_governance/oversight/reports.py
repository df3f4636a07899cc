"""The oversight reports: each a table of numbers (shown as a chart, a table and a CSV).

Counts are aggregated in the database (GROUP BY). The median and the 90th percentile of the
time to decision are computed in Python over the durations of the last 12 months' decisions
(one ``values_list``; a few hundred numbers a year), by linear interpolation between the
closest ranks: the same definition as PostgreSQL's ``percentile_cont``, on every database."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Prefetch, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from research_governance.core.i18n import localized
from research_governance.reviews.models import Approval, Decision, ReviewerAssignment, Submission
from research_governance.reviews.panels import progress_report_due
from research_governance.reviews.workflow import ApprovalStatus, ReviewRoute, SubmissionKind

from .selectors import start_of_day

EXPIRY_WINDOW_DAYS = 90
MONTHS = 12


@dataclass
class Report:
    slug: str
    title: str
    description: str
    header: list[str]
    rows: list[list[Any]]
    # The chart: one bar group per category, one bar per series.
    categories: list[str] = field(default_factory=list)
    series: list[str] = field(default_factory=list)
    values: list[list[float]] = field(default_factory=list)  # values[category][series]
    unit: str = ""


def first_of_month(day: date, months_back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont: linear interpolation between the closest ranks (None for no values)."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def submissions_per_month(institution_ids: list[int], today: date) -> Report:
    months = [first_of_month(today, back) for back in range(MONTHS - 1, -1, -1)]
    counts = (
        Submission.objects.filter(
            protocol__institution_id__in=institution_ids, submitted_at__gte=start_of_day(months[0])
        )
        .annotate(month=TruncMonth("submitted_at", tzinfo=timezone.get_current_timezone()))
        .values("month", "kind")
        .annotate(n=Count("id"))
    )
    found = {(timezone.localtime(row["month"]).date(), row["kind"]): row["n"] for row in counts}
    kinds = list(SubmissionKind)
    values = [[found.get((month, kind.value), 0) for kind in kinds] for month in months]
    labels = [month.strftime("%Y-%m") for month in months]
    # The chart draws the kinds that occur (the table has every kind); at least the initial one.
    drawn = [i for i, _kind in enumerate(kinds) if i == 0 or any(row[i] for row in values)]
    return Report(
        slug="submissions",
        title=_("Submissions per month by kind"),
        description=_(
            "Submissions made in each of the last 12 months (institution's time zone), by kind. "
            "A resubmission after a return counts as a new submission."
        ),
        header=[_("Month"), *[str(kind.label) for kind in kinds], _("Total")],
        rows=[[label, *row, sum(row)] for label, row in zip(labels, values, strict=True)],
        categories=labels,
        series=[str(kinds[i].label) for i in drawn],
        values=[[row[i] for i in drawn] for row in values],
    )


def time_to_decision(institution_ids: list[int], today: date) -> Report:
    since = start_of_day(first_of_month(today, MONTHS - 1))
    durations = (
        Decision.objects.filter(submission__protocol__institution_id__in=institution_ids, decided_at__gte=since)
        .annotate(
            taken=ExpressionWrapper(F("decided_at") - F("submission__submitted_at"), output_field=DurationField())
        )
        .values_list("route", "taken")
    )
    by_route: dict[str, list[float]] = {route.value: [] for route in ReviewRoute}
    for route, taken in durations:
        by_route.setdefault(route, []).append(taken.total_seconds() / 86400)
    rows, values = [], []
    for route in ReviewRoute:
        days = by_route[route.value]
        median, p90 = percentile(days, 0.5), percentile(days, 0.9)
        rows.append([str(route.label), len(days), _round(median), _round(p90)])
        values.append([_round(median) or 0, _round(p90) or 0])
    return Report(
        slug="time-to-decision",
        title=_("Time from submission to decision by route"),
        description=_(
            "Days from the submission of the round that was decided to the committee's decision, for "
            "decisions of the last 12 months: the median and the 90th percentile (interpolated between "
            "the closest ranks, as PostgreSQL's percentile_cont)."
        ),
        header=[_("Route"), _("Decisions"), _("Median (days)"), _("90th percentile (days)")],
        rows=rows,
        categories=[str(route.label) for route in ReviewRoute],
        series=[_("Median"), _("90th percentile")],
        values=values,
        unit=_("days"),
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def approvals_expiring(institution_ids: list[int], today: date) -> Report:
    until = today + timedelta(days=EXPIRY_WINDOW_DAYS)
    approvals = list(
        Approval.objects.filter(
            protocol__institution_id__in=institution_ids,
            status=ApprovalStatus.ACTIVE,
            valid_until__gte=today,
            valid_until__lte=until,
        )
        .select_related("protocol")
        .order_by("valid_until", "id")
    )
    buckets = [(0, 30), (31, 60), (61, EXPIRY_WINDOW_DAYS)]
    labels = [_("%(low)d–%(high)d days") % {"low": low, "high": high} for low, high in buckets]
    counts = [sum(1 for a in approvals if low <= (a.valid_until - today).days <= high) for low, high in buckets]
    return Report(
        slug="expiring",
        title=_("Approvals expiring in the next 90 days"),
        description=_("Active approvals whose last valid day is between today and 90 days from today."),
        header=[_("Approval reference"), _("Protocol reference"), _("Title"), _("Valid until"), _("Days left")],
        rows=[
            [a.reference, a.protocol.reference, a.protocol.title, a.valid_until, (a.valid_until - today).days]
            for a in approvals
        ],
        categories=labels,
        series=[_("Approvals")],
        values=[[count] for count in counts],
    )


def overdue_progress_reports(institution_ids: list[int], today: date) -> Report:
    """Live approvals whose next progress report (JP-R-01) is past due, by
    ``reviews.panels.progress_report_due`` over prefetched reports (three queries for any number)."""
    approvals = (
        Approval.objects.filter(
            protocol__institution_id__in=institution_ids,
            status__in=[ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED],
        )
        .select_related("protocol")
        .prefetch_related(
            Prefetch(
                "protocol__submissions",
                queryset=Submission.objects.filter(kind=SubmissionKind.PROGRESS_REPORT).select_related("report"),
                to_attr="progress_reports",
            )
        )
        .order_by("valid_from", "id")
    )
    overdue = []
    for approval in approvals:
        reports = approval.protocol.progress_reports  # type: ignore[attr-defined]  # the Prefetch's to_attr
        due = progress_report_due(approval, approval.protocol, reports)
        if due is not None and due < today:
            overdue.append((approval, due, (today - due).days))
    buckets = [(1, 30), (31, 90), (91, None)]
    labels = [
        _("%(low)d–%(high)d days late") % {"low": low, "high": high}
        if high
        else _("over %(low)d days late") % {"low": low - 1}
        for low, high in buckets
    ]
    counts = [
        sum(1 for _a, _d, late in overdue if late >= low and (high is None or late <= high)) for low, high in buckets
    ]
    return Report(
        slug="overdue-reports",
        title=_("Overdue progress reports"),
        description=_(
            "Active or suspended approvals whose next progress report (JP-R-01) was due before today: the "
            "protocol's interval (12 months when unset) after the period last reported, or after the approval began."
        ),
        header=[_("Approval reference"), _("Protocol reference"), _("Title"), _("Due"), _("Days late")],
        rows=[[a.reference, a.protocol.reference, a.protocol.title, due, late] for a, due, late in overdue],
        categories=labels,
        series=[_("Approvals")],
        values=[[count] for count in counts],
    )


def reviewer_workload(institution_ids: list[int], today: date) -> Report:
    rows = (
        ReviewerAssignment.objects.filter(
            status=ReviewerAssignment.Status.ASSIGNED, submission__protocol__institution_id__in=institution_ids
        )
        .values("reviewer_id", "reviewer__name_latin", "reviewer__name_ja", "reviewer__email")
        .annotate(open=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))
        .order_by("-open", "reviewer__name_latin", "reviewer_id")
    )
    people = [
        (
            localized(row["reviewer__name_ja"], row["reviewer__name_latin"]) or row["reviewer__email"],
            row["open"],
            row["overdue"],
        )
        for row in rows
    ]
    return Report(
        slug="workload",
        title=_("Reviewer workload"),
        description=_("Open review assignments per reviewer, and how many of them are past their due date."),
        header=[_("Reviewer"), _("Open assignments"), _("Overdue")],
        rows=[list(person) for person in people],
        categories=[name for name, _open, _late in people],
        series=[_("Open"), _("Overdue")],
        values=[[open_, late] for _name, open_, late in people],
    )


REPORTS = {
    "submissions": submissions_per_month,
    "time-to-decision": time_to_decision,
    "expiring": approvals_expiring,
    "overdue-reports": overdue_progress_reports,
    "workload": reviewer_workload,
}


def all_reports(institution_ids: list[int], today: date | None = None) -> list[Report]:
    day = today or timezone.localdate()
    return [build(institution_ids, day) for build in REPORTS.values()]
