"""The reviews services queue the letters after their transaction commits: recording a decision
makes one letter per language, the head's permission or refusal another; nothing is queued when
the transaction rolls back, and a broker that cannot be reached does not fail the decision."""

import logging

import pytest
from kombu.exceptions import OperationalError

from research_governance import celery_app
from research_governance.letters import services as letter_services
from research_governance.letters import tasks
from research_governance.letters.models import Letter
from research_governance.reviews import services

from .conftest import decide_with_conditions, sign_off_all


@pytest.fixture
def eager():
    """Tasks run inline when queued, as with `make run` (no REDIS_URL)."""
    was = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was


@pytest.mark.django_db(transaction=True)
def test_recording_a_decision_makes_exactly_one_letter_per_language(eager, pi, secretariat, committee, chair, head):
    decision = decide_with_conditions(pi, secretariat, committee)
    letters = Letter.objects.filter(decision=decision)
    assert sorted(letters.values_list("kind", "language", "version")) == [
        ("decision", "en", 1),
        ("decision", "ja", 1),
    ]
    # Running the task again (a redelivery) makes nothing new.
    tasks.render_letter.delay(decision.pk, "decision", "ja")
    tasks.render_letter.apply(args=(decision.pk, "decision", "ja"))
    assert letters.count() == 2

    sign_off_all(decision, pi, chair)
    services.head_permit(decision=decision, by=head)
    assert sorted(letters.filter(kind="permission").values_list("language", flat=True)) == ["en", "ja"]
    assert letters.count() == 4


@pytest.mark.django_db(transaction=True)
def test_the_head_s_refusal_makes_refusal_letters(eager, pi, secretariat, committee, head):
    decision = decide_with_conditions(pi, secretariat, committee)
    services.head_refuse(decision=decision, by=head, reasons="No funding.")
    assert sorted(Letter.objects.filter(decision=decision).values_list("kind", flat=True)) == [
        "decision",
        "decision",
        "refusal",
        "refusal",
    ]


@pytest.mark.django_db
def test_letters_are_queued_only_when_the_decision_commits(
    pi, secretariat, committee, monkeypatch, django_capture_on_commit_callbacks
):
    queued = []
    monkeypatch.setattr(tasks.render_letter, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decision = decide_with_conditions(pi, secretariat, committee)
    assert queued == []  # not before the commit
    for callback in callbacks:
        callback()
    assert sorted(queued) == [(decision.pk, "decision", "en"), (decision.pk, "decision", "ja")]


@pytest.mark.django_db
def test_an_unreachable_broker_does_not_fail_the_decision(
    pi, secretariat, committee, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    def broker_down(*args):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.render_letter, "delay", broker_down)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        decision = decide_with_conditions(pi, secretariat, committee)
    assert decision.pk
    assert "Could not queue research_governance.letters.tasks.render_letter" in caplog.text
    # The periodic sweep finds the letters still to make and queues them.
    queued = []
    monkeypatch.setattr(tasks.render_letter, "delay", lambda *args: queued.append(args))
    assert tasks.render_missing_letters() == 2
    assert sorted(queued) == [(decision.pk, "decision", "en"), (decision.pk, "decision", "ja")]


@pytest.mark.django_db
def test_the_task_ignores_a_decision_that_does_not_exist():
    assert tasks.render_letter.apply(args=(987654, "decision", "ja")).get() is None


@pytest.mark.django_db
def test_the_task_makes_a_correction_once(decision, secretariat):
    original = letter_services.letter_issue(decision_id=decision.pk, kind="decision", language="en")
    arguments = (decision.pk, "decision", "en", original.pk, secretariat.pk, "Wrong date.")
    reference = tasks.render_letter.apply(args=arguments).get()
    assert reference == f"{original.reference}-v2"
    assert tasks.render_letter.apply(args=arguments).get() == reference
    assert Letter.objects.filter(replaces=original).count() == 1
