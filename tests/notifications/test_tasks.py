"""The outbox's tasks, run inline: delivery, the periodic re-dispatch of rows left pending, the
daily digests, and what happens when the broker cannot be reached at commit."""

import logging
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from research_governance.notifications import selectors, tasks
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Notification
from research_governance.notifications.services import DeliveryFailed, notify
from tests.factories import UserFactory

PARAMS = {"reference": "R-2026-001", "title": bilingual("研究の題名", "A study"), "applicant": "Pat Investigator"}


def received(recipients):
    return notify(recipients=recipients, kind="submission.received", params=PARAMS)


def written_ago(notifications, age: timedelta) -> list[int]:
    ids = [n.pk for n in notifications]
    Notification.objects.filter(pk__in=ids).update(created_at=timezone.now() - age)
    return ids


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@test.example", name_latin="Alice Secretary", preferred_language="en")


@pytest.fixture
def dora(db):
    return UserFactory(email="dora@test.example", preferred_language="en", notification_mode="digest")


@pytest.mark.django_db
def test_the_delivery_task_sends_each_notification_once(alice, mailoutbox):
    ids = [n.pk for n in received([alice])]
    tasks.deliver_notifications.delay(ids)
    tasks.deliver_notifications.delay(ids)
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_inline_a_failing_mail_server_is_tried_once_not_retried_inside_the_request(alice, monkeypatch):
    ids = [n.pk for n in received([alice])]
    attempts = []

    def broken(message, *args, **kwargs):
        attempts.append(message.to)
        raise OSError("mail server down")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", broken)
    with pytest.raises(DeliveryFailed):
        tasks.deliver_notifications.delay(ids)
    assert attempts == [[alice.email]]
    assert Notification.objects.get().emailed_at is None


@pytest.mark.django_db
def test_rows_left_pending_are_sent_by_the_periodic_re_dispatch(alice, mailoutbox):
    written_ago(received([alice]), timedelta(minutes=10))
    assert tasks.redispatch_pending.delay().get() == 1
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert tasks.redispatch_pending.delay().get() == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_re_dispatch_leaves_fresh_rows_digest_readers_inactive_users_and_stale_rows(alice, dora, mailoutbox):
    received([alice])  # just written: its own task is on the way
    written_ago(received([dora]), timedelta(minutes=10))
    inactive = UserFactory(email="gone@test.example")
    written_ago(received([inactive]), timedelta(minutes=10))
    inactive.is_active = False
    inactive.save()
    stale = UserFactory(email="stale@test.example")
    written_ago(received([stale]), timedelta(days=8))
    assert tasks.redispatch_pending.delay().get() == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_re_dispatch_finds_its_rows_in_one_query_whatever_their_number(alice, django_assert_num_queries):
    for _ in range(3):
        written_ago(received([alice, UserFactory()]), timedelta(minutes=10))
    now = timezone.now()
    with django_assert_num_queries(1):
        ids = list(selectors.notification_ids_awaiting_email(created_before=now, created_after=now - timedelta(days=1)))
    assert len(ids) == 6


@pytest.mark.django_db
def test_the_daily_digests_go_to_each_digest_reader_once(alice, dora, mailoutbox):
    other = UserFactory(email="other-digest@test.example", notification_mode="digest")
    received([dora, other])
    received([dora])
    assert tasks.send_digests.delay().get() == 2
    assert sorted(m.to[0] for m in mailoutbox) == [dora.email, other.email]
    assert tasks.send_digests.delay().get() == 0
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_a_broker_that_is_down_at_commit_fails_nothing_and_loses_nothing(
    alice, mailoutbox, tasks_go_to, caplog, django_capture_on_commit_callbacks
):
    tasks_go_to(f"redis://127.0.0.1:{unused_port()}/0")  # nothing listens there
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        (notification,) = received([alice])
    assert "Could not queue research_governance.notifications.tasks.deliver_notifications" in caplog.text
    assert "a periodic job picks the work up later" in caplog.text
    notification.refresh_from_db()
    assert notification.emailed_at is None
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_delay_on_commit_logs_a_broker_error_instead_of_raising_it_after_the_commit(alice, tasks_go_to, caplog):
    tasks_go_to(f"redis://127.0.0.1:{unused_port()}/0")
    callbacks_after = []
    with caplog.at_level(logging.ERROR), transaction.atomic():
        tasks.deliver_notifications.delay_on_commit([1])
        transaction.on_commit(lambda: callbacks_after.append("ran"))
    assert "Could not queue research_governance.notifications.tasks.deliver_notifications" in caplog.text
    assert callbacks_after == ["ran"]
