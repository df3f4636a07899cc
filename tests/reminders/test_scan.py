"""The daily scan reminds each person once of what is about to lapse or is late."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.core.work import work_about
from research_governance.notifications.models import Notification
from research_governance.protocols.models import ProtocolStatus
from research_governance.reminders.models import Reminder
from research_governance.reminders.services import reminders_scan
from research_governance.reviews.models import Approval, Condition, Decision, ReviewerAssignment, Submission
from research_governance.reviews.panels import progress_report_due
from research_governance.reviews.workflow import DecisionOutcome, ReviewRoute, SubmissionKind, SubmissionStatus
from tests.factories import UserFactory

from .support import TODAY, approved, at, progress_report


def sent(summary, kind, threshold):
    return summary.as_dict()["reminders"][kind][threshold]["sent"]


def kinds_for(user):
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize("days", [90, 60, 30, 7, 0])
def test_each_approval_threshold_is_reminded_on_its_day_and_not_the_day_before(pi, days):
    approval = approved(pi, valid_until=TODAY + timedelta(days=days))
    day_before = reminders_scan(now=at(TODAY - timedelta(days=1)))
    assert sent(day_before, "approval_expiry", str(days)) == 0

    on_the_day = reminders_scan(now=at(TODAY))

    assert sent(on_the_day, "approval_expiry", str(days)) == 1
    assert Reminder.objects.filter(
        object_type="reviews.approval", object_id=approval.pk, kind="approval_expiry", threshold=str(days)
    ).exists()
    expected = "reminder.approval_last_day" if days == 0 else "reminder.approval_expiring"
    notification = Notification.objects.filter(recipient=pi, kind=expected).latest("id")
    assert notification.params["valid_until"] == approval.valid_until.isoformat()
    assert notification.link == f"/protocols/{approval.protocol_id}/"


@pytest.mark.django_db
def test_a_second_run_the_same_day_finds_the_same_and_sends_nothing(pi, reviewer):
    approved(pi, valid_until=TODAY + timedelta(days=30), title="Expiring")
    overdue = approved(pi, valid_until=TODAY + timedelta(days=300), valid_from=TODAY - timedelta(days=400))
    first = reminders_scan(now=at(TODAY)).as_dict()
    notifications = Notification.objects.count()

    second = reminders_scan(now=at(TODAY, hour=18)).as_dict()

    assert first["sent"] == 2
    assert first["found"] == 2
    assert second["found"] == 2
    assert second["sent"] == 0
    assert Notification.objects.count() == notifications
    assert Reminder.objects.filter(object_id=overdue.pk, threshold="overdue").count() == 1


@pytest.mark.django_db
def test_a_day_the_scan_did_not_run_is_caught_up_the_next_day(pi):
    # The 7-day reminder is owed from 7 days before down to the last day.
    approved(pi, valid_until=TODAY + timedelta(days=5))
    summary = reminders_scan(now=at(TODAY))
    assert sent(summary, "approval_expiry", "7") == 1
    assert kinds_for(pi) == ["reminder.approval_expiring"]


@pytest.mark.django_db
@pytest.mark.parametrize(("days_to_due", "threshold"), [(30, "30"), (8, "30"), (7, "7"), (0, "7"), (-1, "overdue")])
def test_a_progress_report_is_reminded_30_and_7_days_before_it_is_due_and_when_overdue_jp_r_01(
    pi, secretariat, days_to_due, threshold
):
    # Due 12 months after the approval began.
    due = TODAY + timedelta(days=days_to_due)
    approval = approved(pi, valid_from=due.replace(year=due.year - 1), valid_until=due + timedelta(days=200))

    summary = reminders_scan(now=at(TODAY))

    assert sent(summary, "progress_report", threshold) == 1
    reminder = Reminder.objects.get(kind="progress_report")
    assert (reminder.object_id, reminder.threshold, reminder.due_on) == (approval.pk, threshold, due)
    if threshold == "overdue":
        assert kinds_for(pi) == ["reminder.progress_report_overdue"]
        # The secretariat chases a late report.
        assert kinds_for(secretariat) == ["reminder.progress_report_overdue"]
    else:
        assert kinds_for(pi) == ["reminder.progress_report_due"]
        assert kinds_for(secretariat) == []


@pytest.mark.django_db
def test_a_progress_report_not_yet_within_30_days_is_not_reminded(pi):
    due = TODAY + timedelta(days=31)
    approved(pi, valid_from=due.replace(year=due.year - 1), valid_until=due + timedelta(days=200))
    assert sent(reminders_scan(now=at(TODAY)), "progress_report", "30") == 0


@pytest.mark.django_db
def test_the_next_report_falls_due_an_interval_after_the_period_last_reported_as_the_page_says(pi):
    # Reported up to 31 January; a one-month interval makes the next one due on the last day of February.
    approval = approved(pi, valid_from=TODAY - timedelta(days=100), valid_until=TODAY + timedelta(days=300))
    approval.protocol.progress_report_interval_months = 1
    approval.protocol.save(update_fields=["progress_report_interval_months"])
    progress_report(approval, period_to=TODAY.replace(month=1, day=31), by=pi)

    reminders_scan(now=at(TODAY))

    reminder = Reminder.objects.get(kind="progress_report")
    assert reminder.due_on == TODAY.replace(month=2, day=28)
    assert reminder.threshold == "overdue"
    submissions = list(Submission.objects.filter(protocol=approval.protocol).select_related("report"))
    assert progress_report_due(approval, approval.protocol, submissions) == reminder.due_on


@pytest.mark.django_db
def test_a_new_report_moves_the_due_date_and_its_reminders_are_owed_again(pi):
    due = TODAY + timedelta(days=7)
    approval = approved(pi, valid_from=due.replace(year=due.year - 1), valid_until=due + timedelta(days=600))
    reminders_scan(now=at(TODAY))
    progress_report(approval, period_to=due, by=pi)

    next_due = due.replace(year=due.year + 1)
    summary = reminders_scan(now=at(next_due - timedelta(days=7)))

    assert sent(summary, "progress_report", "7") == 1
    reminded = Reminder.objects.filter(kind="progress_report").order_by("due_on")
    assert list(reminded.values_list("due_on", flat=True)) == [due, next_due]


def decision_with_conditions(approval, *, decided_days_ago, answered=0, total=2):
    protocol = approval.protocol
    submission = Submission.objects.create(
        protocol=protocol,
        version=protocol.versions.get(),
        kind=SubmissionKind.PROGRESS_REPORT,
        status=SubmissionStatus.DECIDED,
        submitted_by=protocol.principal_investigator,
        submitted_at=at(TODAY - timedelta(days=decided_days_ago + 5)),
        status_changed_at=at(TODAY - timedelta(days=decided_days_ago)),
    )
    decision = Decision.objects.create(
        submission=submission,
        outcome=DecisionOutcome.APPROVE_WITH_CONDITIONS,
        decided_at=at(TODAY - timedelta(days=decided_days_ago), hour=15),
        decided_by=protocol.principal_investigator,
        route=ReviewRoute.EXPEDITED,
    )
    for number in range(1, total + 1):
        Condition.objects.create(
            decision=decision,
            number=number,
            text=f"Condition {number}",
            responded_at=timezone.now() if number <= answered else None,
            response="Done." if number <= answered else "",
        )
    return decision


@pytest.mark.django_db
def test_conditions_unanswered_two_weeks_after_the_decision_are_reminded(pi):
    approval = approved(pi, valid_until=TODAY + timedelta(days=300))
    recent = decision_with_conditions(approval, decided_days_ago=13)
    old = decision_with_conditions(approval, decided_days_ago=14, answered=1, total=3)
    answered = decision_with_conditions(approval, decided_days_ago=20, answered=2, total=2)

    summary = reminders_scan(now=at(TODAY))

    assert sent(summary, "conditions_unanswered", "14") == 1
    reminded = Reminder.objects.filter(kind="conditions_unanswered").values_list("object_id", flat=True)
    assert list(reminded) == [old.pk]
    assert recent.pk not in reminded
    assert answered.pk not in reminded
    notification = Notification.objects.get(recipient=pi, kind="reminder.conditions_unanswered")
    assert notification.params["count"] == 2
    # A month after the decision, a second reminder (and the recent decision's first); no third one.
    later = reminders_scan(now=at(TODAY + timedelta(days=16)))
    assert (sent(later, "conditions_unanswered", "30"), sent(later, "conditions_unanswered", "14")) == (1, 1)
    assert sent(reminders_scan(now=at(TODAY + timedelta(days=60))), "conditions_unanswered", "30") == 1
    assert reminders_scan(now=at(TODAY + timedelta(days=61))).as_dict()["sent"] == 0


@pytest.mark.django_db
def test_conditions_of_research_that_has_ended_are_not_reminded(pi):
    approval = approved(pi, valid_until=TODAY + timedelta(days=300))
    decision_with_conditions(approval, decided_days_ago=20)
    approval.protocol.status = ProtocolStatus.CLOSED
    approval.protocol.save(update_fields=["status"])
    assert reminders_scan(now=at(TODAY)).as_dict()["reminders"]["conditions_unanswered"]["14"]["found"] == 0


def assignment(approval, reviewer, *, due_days_ago, status=ReviewerAssignment.Status.ASSIGNED):
    protocol = approval.protocol
    submission = Submission.objects.create(
        protocol=protocol,
        version=protocol.versions.get(),
        kind=SubmissionKind.DEVIATION,
        status=SubmissionStatus.ACCEPTED,
        submitted_by=protocol.principal_investigator,
        submitted_at=at(TODAY - timedelta(days=30)),
        status_changed_at=at(TODAY - timedelta(days=29)),
    )
    return ReviewerAssignment.objects.create(
        submission=submission,
        reviewer=reviewer,
        assigned_by=protocol.principal_investigator,
        assigned_at=at(TODAY - timedelta(days=29)),
        due_date=TODAY - timedelta(days=due_days_ago),
        status=status,
    )


@pytest.mark.django_db
def test_a_review_past_its_due_date_is_reminded_to_its_reviewer_once(pi, reviewer):
    approval = approved(pi, valid_until=TODAY + timedelta(days=300))
    late = assignment(approval, reviewer, due_days_ago=1)
    assignment(approval, UserFactory(roles=[Role.COMMITTEE_MEMBER]), due_days_ago=0)
    assignment(approval, UserFactory(roles=[Role.COMMITTEE_MEMBER]), due_days_ago=5, status="completed")

    summary = reminders_scan(now=at(TODAY))

    assert sent(summary, "review_overdue", "overdue") == 1
    notification = Notification.objects.get(kind="reminder.review_overdue")
    assert notification.recipient == reviewer
    assert notification.link == reverse("reviews:workspace", args=[late.pk])
    assert kinds_for(pi) == []
    assert sent(reminders_scan(now=at(TODAY + timedelta(days=1))), "review_overdue", "overdue") == 1  # due today
    assert reminders_scan(now=at(TODAY + timedelta(days=2))).as_dict()["sent"] == 0


@pytest.mark.django_db
def test_an_extended_due_date_is_reminded_again_when_it_passes(pi, reviewer):
    late = assignment(approved(pi, valid_until=TODAY + timedelta(days=300)), reviewer, due_days_ago=1)
    reminders_scan(now=at(TODAY))
    late.due_date = TODAY + timedelta(days=3)
    late.save(update_fields=["due_date"])
    # Two days later the new due date is near: the reviewer is reminded it falls due (not overdue).
    soon = reminders_scan(now=at(TODAY + timedelta(days=2)))
    assert soon.as_dict()["sent"] == sent(soon, "work_due", "soon") == 1
    assert sent(reminders_scan(now=at(TODAY + timedelta(days=4))), "review_overdue", "overdue") == 1


def per_approval(now) -> int:
    """The queries of a scan that would be made once per approval expiring (none expire at ``now``)."""
    with CaptureQueriesContext(connection) as queries:
        reminders_scan(now=now)
    return sum(
        any(table in q["sql"] for table in ("audit_auditevent", "pg_advisory_xact_lock", "notifications_notification"))
        for q in queries.captured_queries
    )


def scan_queries(now):
    with CaptureQueriesContext(connection) as queries:
        summary = reminders_scan(now=now)
    return len(queries), summary.as_dict()


@pytest.mark.django_db
def test_the_scan_s_queries_do_not_grow_with_the_number_of_approvals(pi):
    # 5 approvals owed a reminder on one day, 50 on a later one. The scan's queries stay the same,
    # whether it sends 5 reminders or 50: their notifications are one INSERT (notify_many).
    for n in range(5):
        approved(pi, valid_until=TODAY + timedelta(days=30), title=f"Few {n}")
    for n in range(50):
        approved(pi, valid_until=TODAY + timedelta(days=100), title=f"Many {n}")
    reminders_scan(now=at(TODAY - timedelta(days=1)))  # warms the per-process caches
    Reminder.objects.all().delete()

    few, few_summary = scan_queries(at(TODAY))
    few_again, _ = scan_queries(at(TODAY))
    # 15 days later the 50 enter the 90-day window; the 5 are still in the 30-day one.
    many, many_summary = scan_queries(at(TODAY + timedelta(days=15)))
    many_again, _ = scan_queries(at(TODAY + timedelta(days=15)))

    assert (few_summary["sent"], many_summary["sent"]) == (5, 50)
    assert many_summary["found"] == 55
    assert many == few
    assert few_again == many_again
    # Savepoints (the scan's, the expiry's), jit off, the ended approvals, the ended agreements,
    # six finders (four of approvals, two of data-sharing agreements), the reminders sent before;
    # then the work due: the subjects with open work (two) and what the workflows' sources ask.
    with CaptureQueriesContext(connection) as sources:
        work_about(protocol_ids=[approval.protocol_id for approval in Approval.objects.all()], request_ids=[1])
    assert few_again <= 14 + 2 + len(sources)


@pytest.mark.django_db
def test_expiring_approvals_costs_only_their_audit_events_and_notifications_per_approval(pi):
    # Suspended approvals expire too, and are not reminded of their end: only expiries are counted.
    for n in range(2):
        approved(pi, valid_until=TODAY - timedelta(days=1), title=f"Few {n}")
    for n in range(10):
        approved(pi, valid_until=TODAY, title=f"Many {n}")
    Approval.objects.update(status="suspended")
    reminders_scan(now=at(TODAY - timedelta(days=100)))  # warms the per-process caches

    few, few_summary = scan_queries(at(TODAY))
    many, many_summary = scan_queries(at(TODAY + timedelta(days=1)))

    assert (few_summary["expired"], many_summary["expired"]) == (2, 10)
    # Per approval: the audit event (chain lock, previous hash, insert) and the team's notification
    # (its INSERT, and the read of the team's choices of email per kind). Nothing else grows: the
    # work-due finders ask a constant number of questions (fewer when nothing is pending at all).
    assert many - few <= (10 - 2) * 5
    assert per_approval(at(TODAY + timedelta(days=2))) == 0
