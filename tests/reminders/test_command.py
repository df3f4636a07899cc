"""``send_reminders`` runs the scan inline and prints what it found and sent; the task calls the same."""

import json
import subprocess
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import timezone

from research_governance.notifications.models import Notification
from research_governance.reminders.tasks import scan_reminders

from .support import TODAY, approved


def send_reminders(*args):
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_the_command_prints_what_it_found_and_sent_and_sends_nothing_the_second_time(pi):
    approved(pi, valid_until=TODAY + timedelta(days=7))
    approved(pi, valid_until=TODAY - timedelta(days=1), title="Ended")

    first = send_reminders("--now", f"{TODAY.isoformat()}T06:00:00+09:00")
    second = send_reminders("--now", TODAY.isoformat())

    assert first["today"] == second["today"] == TODAY.isoformat()
    assert first["now"] == f"{TODAY.isoformat()}T06:00:00+09:00"
    assert first["expired"] == 1
    assert first["reminders"]["approval_expiry"]["7"] == {"found": 1, "sent": 1}
    assert (first["found"], first["sent"]) == (1, 1)
    assert second["expired"] == 0
    assert second["reminders"]["approval_expiry"]["7"] == {"found": 1, "sent": 0}
    assert (second["found"], second["sent"]) == (1, 0)
    assert set(first["reminders"]) == {
        "approval_expiry",
        "progress_report",
        "conditions_unanswered",
        "review_overdue",
        "agreement_term_end",
        "destruction_record",
        "work_due",
    }


@pytest.mark.django_db
def test_an_invalid_now_is_refused_with_a_clear_message():
    with pytest.raises(CommandError, match="not an ISO-8601 date"):
        call_command("send_reminders", "--now", "next tuesday")


def test_an_invalid_now_exits_with_status_2():
    result = subprocess.run(
        [sys.executable, "manage.py", "send_reminders", "--now", "2027-13-45"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "'2027-13-45' is not an ISO-8601 date or date and time" in result.stderr
    assert result.stdout == ""


@pytest.mark.django_db
def test_the_task_runs_the_same_scan_and_is_idempotent(pi):
    # The task scans for the current time.
    approved(pi, valid_until=timezone.localdate() + timedelta(days=7))
    first = scan_reminders()
    second = scan_reminders()
    assert first["reminders"]["approval_expiry"]["7"] == {"found": 1, "sent": 1}
    assert second["reminders"]["approval_expiry"]["7"] == {"found": 1, "sent": 0}
    assert Notification.objects.filter(recipient=pi, kind="reminder.approval_expiring").count() == 1
