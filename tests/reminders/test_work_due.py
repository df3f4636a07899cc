"""The daily scan reminds the actors of every pending step, from every workflow, once when it
falls due within two days and once when it is overdue, in their own language, and leaves to the
specific reminders the steps they already cover."""

from datetime import datetime, timedelta

import pytest
from django.utils import translation

from research_governance.core import work
from research_governance.core.work import NextActor, Step, WorkItem, WorkSource
from research_governance.notifications.models import Notification
from research_governance.protocols.models import Protocol, ProtocolStatus, ProtocolVersion
from research_governance.protocols.services import protocol_create
from research_governance.reminders.models import Reminder
from research_governance.reminders.services import reminders_scan, subjects_with_open_work
from research_governance.reviews.models import Submission
from research_governance.reviews.workflow import SubmissionKind, SubmissionStatus
from tests.factories import UserFactory

from .support import TODAY, at


def sent(summary, threshold):
    return summary.as_dict()["reminders"]["work_due"][threshold]["sent"]


def submitted(pi, *, days_ago: int, title: str = "Study") -> Submission:
    """A submission waiting for the secretariat's pre-screening, due 7 days after it was submitted."""
    protocol = protocol_create(by=pi, title_ja=f"研究 {title}", title_en=title)
    Protocol.objects.filter(pk=protocol.pk).update(status=ProtocolStatus.SUBMITTED)
    version = ProtocolVersion.objects.create(protocol=protocol, number=1, snapshot={}, created_by=pi)
    # Noon: the same calendar day in UTC and in Tokyo (Step.due_from counts from the stored date).
    when = at(TODAY - timedelta(days=days_ago), hour=12)
    return Submission.objects.create(
        protocol=protocol,
        version=version,
        kind=SubmissionKind.INITIAL,
        status=SubmissionStatus.SUBMITTED,
        submitted_by=pi,
        submitted_at=when,
        status_changed_at=when,
    )


@pytest.mark.django_db
def test_a_step_due_in_two_days_is_reminded_once_then_once_more_when_overdue(pi, secretariat):
    submission = submitted(pi, days_ago=5)  # pre-screening due on TODAY + 2

    assert sent(reminders_scan(now=at(TODAY - timedelta(days=1))), "soon") == 0  # three days away
    summary = reminders_scan(now=at(TODAY))
    assert sent(summary, "soon") == 1
    (notification,) = Notification.objects.filter(kind="reminder.work_due")
    assert notification.recipient == secretariat
    assert notification.link.startswith(f"/protocols/{submission.protocol_id}/")
    assert notification.protocol_id == submission.protocol_id
    with translation.override("en"):
        assert notification.subject == (
            f"Due on {(TODAY + timedelta(days=2)).isoformat()}: Pre-screen the submission "
            f"({submission.protocol.reference})"
        )
    # Found again every day until it is overdue: told once.
    assert sent(reminders_scan(now=at(TODAY + timedelta(days=1))), "soon") == 0
    assert sent(reminders_scan(now=at(TODAY + timedelta(days=2))), "soon") == 0  # the due day itself

    overdue = reminders_scan(now=at(TODAY + timedelta(days=3)))
    assert sent(overdue, "overdue") == 1
    late = Notification.objects.get(kind="reminder.work_overdue")
    assert late.recipient == secretariat
    assert reminders_scan(now=at(TODAY + timedelta(days=10))).as_dict()["sent"] == 0
    assert Reminder.objects.filter(kind="work_due").count() == 2


@pytest.mark.django_db
def test_the_reminder_speaks_each_recipient_s_language(pi, secretariat):
    secretariat.preferred_language = "ja"
    secretariat.save(update_fields=["preferred_language"])
    submission = submitted(pi, days_ago=9)  # overdue since TODAY - 2
    reminders_scan(now=at(TODAY))
    notification = Notification.objects.get(kind="reminder.work_overdue", recipient=secretariat)
    with translation.override("ja"):
        assert "研究 Study" in notification.body
        assert submission.protocol.reference in notification.subject
        assert "Overdue" not in notification.subject


@pytest.mark.django_db
def test_work_that_is_done_is_not_reminded(pi, secretariat):
    submission = submitted(pi, days_ago=9)
    Submission.objects.filter(pk=submission.pk).update(status=SubmissionStatus.ACCEPTED)
    assert reminders_scan(now=at(TODAY)).as_dict()["reminders"]["work_due"]["overdue"]["sent"] == 0


@pytest.mark.django_db
def test_only_subjects_that_can_have_work_are_asked_about(pi):
    waiting = submitted(pi, days_ago=1)
    draft = protocol_create(by=pi, title_ja="下書き", title_en="Draft")
    closed = protocol_create(by=pi, title_ja="終了", title_en="Closed")
    Protocol.objects.filter(pk=closed.pk).update(status=ProtocolStatus.CLOSED)
    protocol_ids, request_ids = subjects_with_open_work()
    assert waiting.protocol_id in protocol_ids
    assert draft.pk not in protocol_ids
    assert closed.pk not in protocol_ids
    assert request_ids == []


class StubSource(WorkSource):
    """A workflow whose steps are already reminded by specific finders (and one that is not)."""

    name = "stub-for-reminders"

    def __init__(self, items: list[WorkItem]) -> None:
        self.items = items

    def declaration(self):
        return ()

    def for_user(self, user):
        return []

    def about(self, *, protocol_ids=(), request_ids=()):
        return [item for item in self.items if item.protocol_id in set(protocol_ids)]


def item(code: str, protocol_id: int, actor_id: int, due, occurrence: int = 1) -> WorkItem:
    step = Step(code=code, actor=NextActor.APPLICANT, label=code, waiting=code, due_rule="")
    return WorkItem(
        step=step,
        key=f"{code}:{protocol_id}:{occurrence}",
        reference="R-1",
        title={"en": "A study", "ja": "研究"},
        link=f"/protocols/{protocol_id}/",
        since=datetime(2027, 1, 1),
        institution_id=1,
        actor_ids=frozenset({actor_id}),
        due=due,
        protocol_id=protocol_id,
    )


@pytest.mark.django_db
def test_steps_a_specific_reminder_covers_are_not_reminded_twice(pi, monkeypatch):
    protocol_id = submitted(pi, days_ago=1).protocol_id
    actor = UserFactory()
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    stub = StubSource(
        [
            item("ethics.progress_report", protocol_id, actor.pk, yesterday),  # progress_reports_due covers it
            item("ethics.answer_condition", protocol_id, actor.pk, tomorrow),  # conditions_unanswered
            item("data.destruction", protocol_id, actor.pk, yesterday),  # destructions_missing
            item("ethics.review", protocol_id, actor.pk, yesterday),  # reviews_overdue covers "overdue"...
            item("ethics.review", protocol_id, actor.pk, tomorrow, occurrence=2),  # ...but not "soon"
            item("stub.other", protocol_id, actor.pk, yesterday),
        ]
    )
    monkeypatch.setitem(work._sources, stub.name, stub)
    summary = reminders_scan(now=at(TODAY))
    assert sent(summary, "soon") == 1
    assert sent(summary, "overdue") == 1
    told = sorted((n.kind, n.params["step"]["en"]) for n in Notification.objects.filter(recipient=actor).order_by("pk"))
    assert told == [("reminder.work_due", "ethics.review"), ("reminder.work_overdue", "stub.other")]
