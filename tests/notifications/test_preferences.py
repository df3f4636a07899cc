"""Choosing, kind by kind, an email as it happens or the daily digest: the kinds are grouped so
a person can find them, the choice is theirs alone, and each notification goes the way its
recipient chose for its kind."""

import pytest

from research_governance.notifications import selectors, services, tasks
from research_governance.notifications.messages import MESSAGES, bilingual
from research_governance.notifications.models import Notification, NotificationPreference
from research_governance.notifications.preferences import GROUPS, KIND_LABELS, grouped_kinds
from research_governance.notifications.services import notify
from tests.factories import UserFactory

PREFERENCES_URL = "/notifications/preferences/"
TURN = "work.waiting"  # "Your turn to act"
PROGRESS = "submission.accepted"  # "Progress of your protocols"


def tell(user, kind, link="/protocols/1/"):
    params = {
        TURN: {"step": "Pre-screen the submission", "detail": "", "reference": "R-1", "title": "A study", "due": ""},
        PROGRESS: {"reference": "R-1", "title": bilingual("研究", "A study")},
    }[kind]
    (notification,) = notify(recipients=[user], kind=kind, params=params, link=link)
    return notification


def test_every_kind_of_notification_belongs_to_exactly_one_group_and_has_a_label():
    placed = [kind for _group, kinds in grouped_kinds() for kind in kinds]
    assert sorted(placed) == sorted(MESSAGES)
    assert len(placed) == len(set(placed))
    assert set(MESSAGES) <= set(KIND_LABELS)


def test_no_group_names_a_kind_twice():
    named = [kind for group in GROUPS for kind in group.kinds]
    assert len(named) == len(set(named))


@pytest.mark.django_db
def test_the_same_person_gets_their_turn_at_once_and_progress_in_the_digest(
    mailoutbox, django_capture_on_commit_callbacks
):
    user = UserFactory(email="pat@test.example", preferred_language="en", notification_mode="digest")
    services.notification_preferences_update(user=user, mode="digest", kinds={TURN: "immediate"})
    with django_capture_on_commit_callbacks(execute=True):
        turn = tell(user, TURN)
        progress = tell(user, PROGRESS)
    assert [m.subject for m in mailoutbox] == ["[Research Governance] Your turn: Pre-screen the submission (R-1)"]
    assert "http://" in mailoutbox[0].body or "https://" in mailoutbox[0].body
    progress.refresh_from_db()
    assert progress.emailed_at is None
    # The daily digest covers the progress only, once.
    assert tasks.send_digests.delay().get() == 1
    assert tasks.send_digests.delay().get() == 0
    assert len(mailoutbox) == 2
    digest = mailoutbox[1]
    assert "Your daily digest: 1 notification" in digest.subject
    assert "Submission R-1 accepted for review" in digest.body
    assert "Your turn" not in digest.body
    turn.refresh_from_db()
    assert turn.emailed_at is not None


@pytest.mark.django_db
def test_an_immediate_reader_can_send_one_kind_to_the_digest(mailoutbox, django_capture_on_commit_callbacks):
    user = UserFactory(email="ida@test.example", preferred_language="en")
    services.notification_preferences_update(user=user, mode="immediate", kinds={PROGRESS: "digest"})
    with django_capture_on_commit_callbacks(execute=True):
        tell(user, TURN)
        progress = tell(user, PROGRESS)
    assert len(mailoutbox) == 1
    # The re-dispatch of pending rows leaves the digest's row alone, and the digest sends it.
    assert services.deliver([progress.pk]) == 0
    assert progress.pk not in set(
        selectors.notification_ids_awaiting_email(
            created_before=progress.created_at.replace(year=progress.created_at.year + 1),
            created_after=progress.created_at.replace(year=progress.created_at.year - 1),
        )
    )
    assert list(selectors.user_ids_awaiting_digest()) == [user.pk]
    assert services.send_digest(user_id=user.pk) == 1
    assert services.send_digest(user_id=user.pk) == 0
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_choosing_as_my_general_choice_removes_the_kind_s_own_choice():
    user = UserFactory()
    services.notification_preferences_update(user=user, mode="immediate", kinds={TURN: "digest", PROGRESS: "digest"})
    services.notification_preferences_update(user=user, mode="digest", kinds={TURN: "", PROGRESS: "immediate"})
    assert dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode")) == {PROGRESS: "immediate"}
    user.refresh_from_db()
    assert user.notification_mode == "digest"


@pytest.mark.django_db
def test_an_unknown_kind_or_choice_changes_nothing():
    user = UserFactory()
    with pytest.raises(ValueError, match="kind"):
        services.notification_preferences_update(user=user, mode="digest", kinds={"no.such.kind": "digest"})
    with pytest.raises(ValueError, match="weekly"):
        services.notification_preferences_update(user=user, mode="digest", kinds={TURN: "weekly"})
    user.refresh_from_db()
    assert user.notification_mode == "immediate"
    assert not NotificationPreference.objects.exists()


@pytest.mark.django_db
def test_the_page_shows_the_groups_and_keeps_my_choices(client_for, pi, other_investigator):
    client = client_for(pi)
    page = client.get(PREFERENCES_URL).content.decode()
    for heading in ("Your turn to act", "Progress of your protocols", "Reminders", "Data sharing", "System alerts"):
        assert heading in page
    assert "A step waits for you" in page
    response = client.post(
        PREFERENCES_URL,
        {"notification_mode": "digest", "kind-work-waiting": "immediate", "kind-submission-accepted": ""},
        follow=True,
    )
    assert "Your notification preferences are saved." in response.content.decode()
    assert selectors.preferences_of(pi) == {TURN: "immediate"}
    assert selectors.preferences_of(other_investigator) == {}
    page = client.get(PREFERENCES_URL).content.decode()
    assert '<option value="immediate" selected>' in page.split('name="kind-work-waiting"')[1].split("</select>")[0]


@pytest.mark.django_db
def test_a_refused_form_comes_back_as_typed(client_for, pi):
    response = client_for(pi).post(
        PREFERENCES_URL,
        {"notification_mode": "digest", "kind-work-waiting": "weekly", "kind-submission-accepted": "digest"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Select a valid choice." in page
    assert 'value="digest" id="id_notification_mode_1" checked' in page
    accepted = page.split('name="kind-submission-accepted"')[1].split("</select>")[0]
    assert '<option value="digest" selected>' in accepted
    assert selectors.preferences_of(pi) == {}
    assert not Notification.objects.exists()
