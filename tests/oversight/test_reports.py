import csv
import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone, translation

from research_governance.oversight import reports
from research_governance.reviews.models import Approval, Decision, ReviewerAssignment, Submission
from research_governance.reviews.services import add_months
from tests.conftest import signed_in


def _decided_after(approval_or_decision, days: int) -> None:
    decision = approval_or_decision if isinstance(approval_or_decision, Decision) else approval_or_decision.decision
    submitted = timezone.now() - timedelta(days=60)
    Submission.objects.filter(pk=decision.submission_id).update(submitted_at=submitted)
    Decision.objects.filter(pk=decision.pk).update(decided_at=submitted + timedelta(days=days))


def known_numbers(oversight):
    world = oversight.world
    today = timezone.localdate()
    # Expedited decisions after 2, 4 and 10 days; the full-board one (A's) after 20.
    for approval, days in ((oversight.suspended, 2), (oversight.expired, 4), (oversight.future, 10)):
        _decided_after(approval, days)
    _decided_after(oversight.elsewhere, 300)  # another institution: not counted
    _decided_after(world.decision, 20)
    # The member has two open assignments, one of them overdue.
    for approval, due in (
        (oversight.suspended, today - timedelta(days=1)),
        (oversight.expired, today + timedelta(days=3)),
    ):
        ReviewerAssignment.objects.create(
            submission=approval.decision.submission,
            reviewer=world.people["member"],
            assigned_by=world.people["secretariat"],
            assigned_at=timezone.now(),
            due_date=due,
        )
    # A's approval now ends in 45 days; the suspended one began 400 days ago.
    Approval.objects.filter(pk=oversight.active.pk).update(valid_until=today + timedelta(days=45))
    Approval.objects.filter(pk=oversight.suspended.pk).update(valid_from=today - timedelta(days=400))


def build(oversight, slug: str) -> reports.Report:
    institution = oversight.world.protocol_a.institution_id
    with translation.override("en"):
        return reports.REPORTS[slug]([institution], timezone.localdate())


def test_median_and_90th_percentile_time_to_decision_by_route(oversight):
    known_numbers(oversight)
    report = build(oversight, "time-to-decision")
    rows = {row[0]: row[1:] for row in report.rows}
    # 0 (protocol C, the public notice's study, decided the day it came), 2, 4 and 10 days.
    assert rows["Expedited review"] == [4, 3.0, 8.2]  # 4 + (10 - 4) * 0.7
    assert rows["Full-board review"] == [1, 20.0, 20.0]


def test_percentile_is_percentile_cont():
    assert reports.percentile([1, 2, 3, 4], 0.5) == 2.5
    assert reports.percentile([10], 0.9) == 10
    assert reports.percentile([], 0.5) is None


def test_submissions_per_month_count_the_institution_s_submissions_by_kind(oversight):
    known_numbers(oversight)
    report = build(oversight, "submissions")
    assert len(report.rows) == 12
    initial = report.header.index("Initial application")
    # A's two rounds, the three other protocols and protocol C; not the other institution's.
    assert sum(row[initial] for row in report.rows) == 6
    assert report.rows[-1][0] == timezone.localdate().strftime("%Y-%m")


def test_expiring_overdue_and_workload_reports(oversight):
    known_numbers(oversight)
    today = timezone.localdate()
    expiring = build(oversight, "expiring")
    assert [row[0] for row in expiring.rows] == [oversight.active.reference]
    assert expiring.values == [[0], [1], [0]]  # 31–60 days
    overdue = build(oversight, "overdue-reports")
    interval = oversight.suspended.protocol.progress_report_interval_months or 12
    due = add_months(today - timedelta(days=400), interval)
    assert [[row[0], row[1], row[3], row[4]] for row in overdue.rows] == [
        ["APR-SUSPENDED", oversight.suspended.protocol.reference, due, (today - due).days]
    ]
    workload = build(oversight, "workload")
    assert [oversight.world.people["member"].name_latin, 2, 1] in workload.rows


def test_the_reports_page_draws_accessible_charts_with_their_numbers(oversight):
    known_numbers(oversight)
    response = signed_in(oversight.world.people["auditor"]).get(reverse("oversight:reports"))
    text = response.content.decode()
    assert text.count('role="img"') == 5
    assert '<title id="chart-time-to-decision-title">' in text
    assert "<desc id=" in text
    assert 'id="time-to-decision-table"' in text
    assert "8.2" in text
    # Patterns, not colour alone: the second series is striped.
    assert 'fill="url(#chart-workload-stripes)"' in text
    assert reverse("oversight:report_csv", args=["workload"]) in text


def test_each_report_downloads_as_csv(oversight):
    known_numbers(oversight)
    client = signed_in(oversight.world.people["chair"])
    response = client.get(reverse("oversight:report_csv", args=["workload"]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["Reviewer", "Open assignments", "Overdue"]
    member = oversight.world.people["member"]
    assert [member.name_ja, "2", "1"] in rows or [member.name_latin, "2", "1"] in rows
    assert client.get(reverse("oversight:report_csv", args=["nonsense"])).status_code == 404
