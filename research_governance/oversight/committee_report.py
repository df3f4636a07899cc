"""The committee's yearly report (JP-ERC-11, UNVERIFIED as a whole): its roster, its rules and
the year's meeting summaries, as the secretariat submits them to the national reporting system
(the MHLW research ethics committee reporting system).

What the report contains is declared as data (ROSTER_COLUMNS, RULES_BY_RULE_SET, MEETING_COLUMNS)
so it can follow the system's form when its exact items are confirmed. Read in a fixed number
of queries whatever the number of meetings."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, TypedDict

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.core.i18n import localized
from research_governance.reviews.models import AgendaItem, Attendance, Meeting
from research_governance.rules.errors import RulebookError
from research_governance.rules.rulebook import load_rulebook

from .selectors import start_of_day

# JP-ERC-11 (UNVERIFIED): the roster items the reporting system asks for.
ROSTER_COLUMNS = (
    ("name", gettext_lazy("Name")),
    ("category", gettext_lazy("Category")),
    ("external", gettext_lazy("External")),
    ("sex", gettext_lazy("Sex")),
    ("role", gettext_lazy("Role")),
    ("term", gettext_lazy("Term")),
)
# The rules of the rulebook that say how the committee is composed, meets and decides.
RULES_BY_RULE_SET: dict[str, tuple[str, ...]] = {
    Committee.RuleSet.JP: ("JP-ERC-01", "JP-ERC-02", "JP-ERC-03", "JP-ERC-04", "JP-ERC-05", "JP-ERC-06", "JP-ERC-09"),
    Committee.RuleSet.US: ("US-IRB-01", "US-IRB-02", "US-IRB-04"),
}
MEETING_COLUMNS = (
    ("date", gettext_lazy("Date")),
    ("attendance", gettext_lazy("Attendance")),
    ("item", gettext_lazy("Item")),
    ("outcome", gettext_lazy("Outcome")),
)


class RuleLine(TypedDict):
    id: str
    title: str
    text: str
    verified: bool


@dataclass
class ItemSummary:
    reference: str | None
    title: str
    kind: str
    outcome: str
    tally: str


@dataclass
class MeetingSummary:
    meeting: Meeting
    day: date
    present: list[str]
    sitting: int
    items: list[ItemSummary] = field(default_factory=list)

    @property
    def attendance(self) -> str:
        return _("%(present)d of %(sitting)d members present") % {"present": len(self.present), "sitting": self.sitting}


@dataclass
class CommitteeReport:
    committee: Committee
    year: int
    roster: list[dict[str, str]]
    decision_rule: str
    rule_set: str
    rules: list[RuleLine]
    meetings: list[MeetingSummary]
    generated_on: date


def _term(membership: CommitteeMembership) -> str:
    end = membership.valid_to.isoformat() if membership.valid_to else ""
    return f"{membership.valid_from.isoformat()} – {end}"


def _tally(tally: dict[str, Any]) -> str:
    votes = tally.get("votes", tally) if isinstance(tally, dict) else {}
    if not isinstance(votes, dict) or not any(key in votes for key in ("for", "against", "abstain")):
        return ""
    return _("For %(for)s · against %(against)s · abstain %(abstain)s") % {
        "for": votes.get("for", 0),
        "against": votes.get("against", 0),
        "abstain": votes.get("abstain", 0),
    }


def build(committee: Committee, year: int) -> CommitteeReport:
    first, last = date(year, 1, 1), date(year, 12, 31)
    memberships = list(committee.memberships.select_related("user").order_by("role", "user__name_latin", "pk"))
    # The roster: every member (not the secretariat) who sat at any time during the year.
    roster = [
        m
        for m in memberships
        if m.role != CommitteeMembership.Role.SECRETARIAT
        and m.valid_from <= last
        and (m.valid_to is None or m.valid_to >= first)
    ]
    meetings = list(
        committee.meetings.filter(
            scheduled_at__gte=start_of_day(first), scheduled_at__lt=start_of_day(last + timedelta(days=1))
        )
        .prefetch_related(
            Prefetch(
                "items",
                queryset=AgendaItem.objects.select_related("submission__protocol").order_by("order", "id"),
            ),
            Prefetch(
                "attendance",
                queryset=Attendance.objects.filter(present=True).select_related("membership__user"),
                to_attr="present_rows",
            ),
        )
        .order_by("scheduled_at", "id")
    )
    summaries = []
    for meeting in meetings:
        day = timezone.localdate(meeting.scheduled_at)
        sitting = sum(
            1
            for m in memberships
            if m.role != CommitteeMembership.Role.SECRETARIAT
            and m.valid_from <= day
            and (m.valid_to is None or m.valid_to >= day)
        )
        summary = MeetingSummary(
            meeting=meeting,
            day=day,
            present=sorted(row.membership.user.display_name for row in meeting.present_rows),
            sitting=sitting,
        )
        for item in meeting.items.all():
            protocol = item.submission.protocol
            if item.outcome:
                outcome = str(AgendaItem.Outcome(item.outcome).label)
            elif item.deferred_at:
                outcome = _("Deferred")
            else:
                outcome = _("Not decided")
            summary.items.append(
                ItemSummary(
                    reference=protocol.reference,
                    title=protocol.title,
                    kind=item.submission.get_kind_display(),
                    outcome=outcome,
                    tally=_tally(item.tally),
                )
            )
        summaries.append(summary)
    try:
        book = load_rulebook(on=last if last < timezone.localdate() else None)
    except RulebookError:
        # A year before the first rulebook took effect: the report has no rules to show, and says so.
        book = None
    rules: list[RuleLine] = []
    for rule_id in RULES_BY_RULE_SET.get(committee.rule_set, ()):
        if book is not None and book.has_rule(rule_id):
            rule = book.rule(rule_id)
            rules.append(
                {
                    "id": rule.id,
                    "title": localized(rule.title_ja, rule.title_en),
                    "text": localized(rule.text_ja, rule.text_en),
                    "verified": rule.verified,
                }
            )
    return CommitteeReport(
        committee=committee,
        year=year,
        roster=[
            {
                "name": m.user.display_name,
                "category": m.get_category_display() if m.category else "",
                "external": _("Yes") if m.is_external else _("No"),
                "sex": m.get_sex_display() if m.sex else "",
                "role": m.get_role_display(),
                "term": _term(m),
            }
            for m in roster
        ],
        decision_rule=committee.get_decision_rule_display(),
        rule_set=committee.get_rule_set_display(),
        rules=rules,
        meetings=summaries,
        generated_on=timezone.localdate(),
    )


def csv_rows(report: CommitteeReport) -> list[list[str]]:
    """The report as one CSV: a section column, then the fields of each section."""
    rows: list[list[str]] = [
        [_("Section"), _("Field 1"), _("Field 2"), _("Field 3"), _("Field 4"), _("Field 5"), _("Field 6")]
    ]
    rows.append([_("Committee"), str(report.committee), report.committee.code, str(report.year), "", "", ""])
    rows.append([_("Roster"), *[str(label) for _key, label in ROSTER_COLUMNS]])
    for member in report.roster:
        rows.append([_("Roster"), *[member[key] for key, _label in ROSTER_COLUMNS]])
    rows.append([_("Rules"), _("Rule set"), report.rule_set, "", "", "", ""])
    rows.append([_("Rules"), _("Decision rule"), report.decision_rule, "", "", "", ""])
    for rule in report.rules:
        rows.append([_("Rules"), rule["id"], rule["title"], rule["text"], "", "", ""])
    for summary in report.meetings:
        if not summary.items:
            rows.append([_("Meeting"), summary.day.isoformat(), summary.attendance, "", "", "", ""])
        for item in summary.items:
            rows.append(
                [
                    _("Meeting"),
                    summary.day.isoformat(),
                    summary.attendance,
                    f"{item.reference} {item.title}",
                    item.kind,
                    item.outcome,
                    item.tally,
                ]
            )
    return rows
