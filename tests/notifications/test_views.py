"""The in-app list and the read actions, tried as the recipient, another user and an anonymous visitor."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.notifications import selectors
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Notification
from research_governance.notifications.services import notify

LIST_URL = "/notifications/"


def accepted(user, reference="R-2026-001", link="/protocols/1/"):
    (notification,) = notify(
        recipients=[user],
        kind="submission.accepted",
        params={"reference": reference, "title": bilingual("研究", "A study")},
        link=link,
    )
    return notification


def read_url(notification):
    return reverse("notifications:read", args=[notification.pk])


def test_the_url_names_are_stable():
    assert reverse("notifications:list") == LIST_URL
    assert reverse("notifications:read_all") == "/notifications/read-all/"
    assert reverse("notifications:read", args=[5]) == "/notifications/5/read/"


@pytest.mark.django_db
def test_the_list_shows_only_my_notifications_with_an_unread_badge(client_for, pi, other_investigator):
    accepted(pi, reference="R-MINE")
    accepted(other_investigator, reference="R-THEIRS")
    page = client_for(pi).get(LIST_URL).content.decode()
    assert "Submission R-MINE accepted for review" in page
    assert "R-THEIRS" not in page
    assert "Unread" in page
    assert "Mark all as read" in page


@pytest.mark.django_db
def test_the_list_says_so_when_there_is_nothing(client_for, pi):
    page = client_for(pi).get(LIST_URL).content.decode()
    assert "You have no notifications." in page
    assert "Mark all as read" not in page


@pytest.mark.django_db
def test_times_are_shown_in_tokyo_time(client_for, pi):
    notification = accepted(pi)
    # 20:30 UTC on 28 November is 05:30 on 29 November in Tokyo.
    Notification.objects.filter(pk=notification.pk).update(created_at=datetime(2026, 11, 28, 20, 30, tzinfo=UTC))
    assert "2026-11-29 05:30" in client_for(pi).get(LIST_URL).content.decode()


@pytest.mark.django_db
def test_the_list_paginates_newest_first(client_for, pi):
    for number in range(27):
        accepted(pi, reference=f"R-{number:03d}")
    client = client_for(pi)
    first = client.get(LIST_URL).content.decode()
    assert "R-026" in first
    assert "R-002" in first
    assert "R-001" not in first
    assert "Page 1 of 2" in first
    second = client.get(LIST_URL, {"page": 2}).content.decode()
    assert "R-001" in second
    assert "R-000" in second
    assert "R-002" not in second


@pytest.mark.django_db
def test_the_list_query_count_does_not_grow_with_rows(client_for, pi):
    client = client_for(pi)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(LIST_URL).status_code == 200
        return len(captured)

    accepted(pi)
    few = queries()
    for _ in range(30):
        accepted(pi)
    assert queries() == few


@pytest.mark.django_db
def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, pi):
    notification = accepted(pi, link="/protocols/42/")
    response = client_for(pi).post(read_url(notification))
    assert response.status_code == 302
    assert response.url == "/protocols/42/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert selectors.unread_count(pi) == 0


@pytest.mark.django_db
def test_a_notification_without_a_link_goes_back_to_the_list(client_for, pi):
    notification = accepted(pi, link="")
    assert client_for(pi).post(read_url(notification)).url == LIST_URL


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\n/evil.example",
    ],
)
def test_mark_read_never_redirects_off_the_site(client_for, pi, link):
    notification = accepted(pi, link="")
    # Written past the service (say, through the database), which would have refused it.
    Notification.objects.filter(pk=notification.pk).update(link=link)
    response = client_for(pi).post(read_url(notification))
    assert response.status_code == 302
    assert response.url == LIST_URL


@pytest.mark.django_db
def test_another_user_s_notification_is_not_found(client_for, pi, other_investigator):
    notification = accepted(pi)
    assert client_for(other_investigator).post(read_url(notification)).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_marking_read_needs_a_post(client_for, pi):
    notification = accepted(pi)
    assert client_for(pi).get(read_url(notification)).status_code == 405
    assert client_for(pi).get(reverse("notifications:read_all")).status_code == 405


@pytest.mark.django_db
def test_mark_all_read_clears_my_unread_count_only(client_for, pi, other_investigator):
    accepted(pi)
    accepted(pi)
    accepted(other_investigator)
    response = client_for(pi).post(reverse("notifications:read_all"), follow=True)
    assert "All notifications are marked as read." in response.content.decode()
    assert selectors.unread_count(pi) == 0
    assert selectors.unread_count(other_investigator) == 1


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for, pi):
    notification = accepted(pi)
    for response in (
        client_for(None).get(LIST_URL),
        client_for(None).post(read_url(notification)),
        client_for(None).post(reverse("notifications:read_all")),
    ):
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    notification.refresh_from_db()
    assert notification.read_at is None


@pytest.mark.django_db
def test_unread_count_is_zero_for_anonymous_users():
    from django.contrib.auth.models import AnonymousUser

    assert selectors.unread_count(AnonymousUser()) == 0


@pytest.mark.django_db
def test_the_list_is_in_the_viewer_s_language(client_for, pi):
    accepted(pi)
    client = client_for(pi)
    # The title parameter follows the page language even before the catalogue is translated.
    assert "A study" in client.get(LIST_URL).content.decode()
    assert "研究" in client.get(LIST_URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()


# Email preferences: immediate emails or a daily digest.

PREFERENCES_URL = "/notifications/preferences/"


def test_the_preferences_url_is_stable():
    assert reverse("notifications:preferences") == PREFERENCES_URL


@pytest.mark.django_db
def test_the_preferences_page_shows_my_current_choice(client_for, pi):
    page = client_for(pi).get(PREFERENCES_URL).content.decode()
    assert "Emails about your notifications" in page
    assert 'value="immediate" id="id_notification_mode_0" checked' in page
    assert 'value="digest" id="id_notification_mode_1">' in page


@pytest.mark.django_db
def test_choosing_the_daily_digest_changes_my_choice_only(client_for, pi, other_investigator):
    response = client_for(pi).post(PREFERENCES_URL, {"notification_mode": "digest"}, follow=True)
    assert "Your notification preferences are saved." in response.content.decode()
    pi.refresh_from_db()
    other_investigator.refresh_from_db()
    assert pi.notification_mode == "digest"
    assert other_investigator.notification_mode == "immediate"
    page = client_for(pi).get(PREFERENCES_URL).content.decode()
    assert 'value="digest" id="id_notification_mode_1" checked' in page


@pytest.mark.django_db
def test_an_unknown_choice_is_refused_with_a_message(client_for, pi):
    response = client_for(pi).post(PREFERENCES_URL, {"notification_mode": "weekly"})
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    pi.refresh_from_db()
    assert pi.notification_mode == "immediate"


@pytest.mark.django_db
def test_anonymous_visitors_cannot_see_or_change_preferences(client_for, pi):
    assert client_for(None).get(PREFERENCES_URL).url == f"/accounts/login/?next={PREFERENCES_URL}"
    assert client_for(None).post(PREFERENCES_URL, {"notification_mode": "digest"}).status_code == 302
    pi.refresh_from_db()
    assert pi.notification_mode == "immediate"


@pytest.mark.django_db
def test_the_list_and_the_user_menu_link_to_the_preferences(client_for, pi):
    page = client_for(pi).get(LIST_URL).content.decode()
    assert page.count(f'href="{PREFERENCES_URL}"') == 2
