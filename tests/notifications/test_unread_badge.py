"""The navbar's unread count is cached per user, and never stale."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from research_governance.notifications import services
from research_governance.notifications.models import Notification
from research_governance.notifications.selectors import unread_count


def notify(user):
    with transaction.atomic():
        services.notify(
            recipients=[user], kind="submission.accepted", params={"reference": "2026-00001", "title": "Study"}
        )


@pytest.mark.django_db
def test_the_count_follows_new_and_read_notifications(pi, django_capture_on_commit_callbacks):
    assert unread_count(pi) == 0
    with django_capture_on_commit_callbacks(execute=True):
        notify(pi)
        notify(pi)
    assert unread_count(pi) == 2
    services.mark_read(notification=Notification.objects.first(), by=pi)
    assert unread_count(pi) == 1
    services.mark_all_read(user=pi)
    assert unread_count(pi) == 0


@pytest.mark.django_db
def test_a_second_page_view_counts_nothing(pi):
    unread_count(pi)
    with CaptureQueriesContext(connection) as captured:
        assert unread_count(pi) == 0
    assert len(captured) == 0
