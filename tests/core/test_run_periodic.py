"""`python manage.py run_periodic` runs each job of the beat schedule once, inline (cron without Redis)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Notification
from research_governance.notifications.services import notify
from tests.factories import UserFactory


def run_periodic() -> tuple[str, str, bool]:
    """Its output, its errors, and whether it exited non-zero."""
    out, err = StringIO(), StringIO()
    try:
        call_command("run_periodic", stdout=out, stderr=err)
    except CommandError:
        return out.getvalue(), err.getvalue(), True
    return out.getvalue(), err.getvalue(), False


def pending_for(user) -> None:
    with transaction.atomic():
        notify(
            recipients=[user],
            kind="submission.accepted",
            params={"reference": "R-2026-009", "title": bilingual("研究", "A study")},
        )
    Notification.objects.filter(recipient=user).update(created_at=timezone.now() - timedelta(minutes=10))


@pytest.mark.django_db
def test_it_sends_pending_emails_and_the_digests_and_accounts_for_every_scheduled_job(mailoutbox):
    # Rows left pending (written while the broker was down, say): the test does not run the
    # on-commit callbacks, as if the task had never been queued.
    pending_for(UserFactory(email="now@test.example"))
    pending_for(UserFactory(email="daily@test.example", notification_mode="digest"))
    out, err, failed = run_periodic()
    assert sorted(m.to[0] for m in mailoutbox) == ["daily@test.example", "now@test.example"]
    assert "redispatch-pending-notifications: research_governance.notifications.tasks.redispatch_pending -> 1" in out
    assert "send-notification-digests: research_governance.notifications.tasks.send_digests -> 1" in out
    # Every job ran, or is reported as missing, and then the command fails.
    for job, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert f"{job}: {entry['task']} ->" in out or f"{job}: task {entry['task']} is not registered" in err
    assert failed == ("is not registered" in err)
    Notification.objects.update(created_at=timezone.now() - timedelta(minutes=10))
    run_periodic()
    assert len(mailoutbox) == 2  # a second run sends nothing again


@pytest.mark.django_db
def test_a_scheduled_task_that_does_not_exist_is_reported_and_fails_the_run_after_the_others(settings):
    settings.CELERY_BEAT_SCHEDULE = {
        "vanished": {"task": "research_governance.nowhere.tasks.vanished", "schedule": 60},
        "digests": {"task": "research_governance.notifications.tasks.send_digests", "schedule": 60},
    }
    out, err, failed = run_periodic()
    assert failed
    assert "vanished: task research_governance.nowhere.tasks.vanished is not registered" in err
    assert "digests: research_governance.notifications.tasks.send_digests -> 0" in out


@pytest.mark.django_db
def test_cron_can_run_one_job_at_its_own_rhythm(mailoutbox):
    pending_for(UserFactory(email="now@test.example"))
    pending_for(UserFactory(email="daily@test.example", notification_mode="digest"))
    out = StringIO()
    call_command("run_periodic", "--job", "redispatch-pending-notifications", stdout=out)
    assert [m.to[0] for m in mailoutbox] == ["now@test.example"]
    assert "send-notification-digests" not in out.getvalue()


def test_an_unknown_job_is_refused_with_the_list_of_jobs():
    with pytest.raises(CommandError, match=r"No such periodic job: weekly-report .*redispatch-pending-notifications"):
        call_command("run_periodic", "--job", "weekly-report")
