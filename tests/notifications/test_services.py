"""notify records notifications and emails them after commit; deliver is idempotent."""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from research_governance.notifications import services
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Notification
from research_governance.notifications.services import DeliveryFailed, deliver, mark_all_read, mark_read, notify
from tests.factories import UserFactory, make_draft

PARAMS = {"reference": "R-2026-001", "title": bilingual("研究の題名", "A study"), "applicant": "Pat Investigator"}


def received(recipients, **kwargs):
    return notify(recipients=recipients, kind="submission.received", params=PARAMS, **kwargs)


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@test.example", name_latin="Alice Secretary", preferred_language="en")


@pytest.fixture
def bob(db):
    return UserFactory(email="bob@test.example", name_latin="Bob Secretary", preferred_language="en")


@pytest.fixture
def hanako(db):
    return UserFactory(email="hanako@test.example", name_ja="事務 花子", preferred_language="ja")


@pytest.mark.django_db
def test_notify_creates_one_row_per_recipient_in_one_insert(alice, bob):
    with CaptureQueriesContext(connection) as captured:
        created = received([alice, bob], link="/protocols/1/")
    # One INSERT, and one read of the recipients' choices per kind (immediate email or digest).
    assert len(captured) == 2
    assert [n.recipient for n in created] == [alice, bob]
    assert Notification.objects.filter(kind="submission.received", link="/protocols/1/").count() == 2


@pytest.mark.django_db
def test_notify_sends_exactly_one_email_per_recipient_after_commit(
    alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        received([alice, bob])
        assert mailoutbox == []  # nothing goes out before the transaction commits
    # One forgets the unread counts, one queues the delivery of both.
    assert len(callbacks) == 2
    assert sorted(message.to[0] for message in mailoutbox) == [alice.email, bob.email]
    assert all(n.emailed_at is not None for n in Notification.objects.all())


@pytest.mark.django_db
def test_the_email_is_in_the_recipient_s_language_with_text_and_html(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received([alice])
    (message,) = mailoutbox
    assert message.subject == "[Research Governance] New submission R-2026-001: A study"
    assert message.to == [alice.email]
    assert "Dear Alice Secretary," in message.body
    assert "Pat Investigator submitted R-2026-001: A study. Please pre-screen it." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Pat Investigator submitted R-2026-001: A study." in html


@pytest.mark.django_db
def test_a_japanese_reader_gets_the_email_too_with_the_prefix_and_the_japanese_title(
    hanako, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received([hanako])
    (message,) = mailoutbox
    assert message.subject.startswith("[Research Governance] ")
    assert "研究の題名" in message.subject
    assert "事務 花子" in message.body


@pytest.mark.django_db
def test_the_email_links_to_the_site_when_its_address_is_configured(
    alice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://rg.example/"
    with django_capture_on_commit_callbacks(execute=True):
        received([alice], link="/protocols/7/")
    assert "https://rg.example/protocols/7/" in mailoutbox[0].body
    assert 'href="https://rg.example/protocols/7/"' in mailoutbox[0].alternatives[0][0]


@pytest.mark.django_db
def test_a_notification_without_a_link_emails_the_address_of_the_list(
    alice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://rg.example"
    with django_capture_on_commit_callbacks(execute=True):
        received([alice])
    assert "https://rg.example/notifications/" in mailoutbox[0].body


@pytest.mark.django_db
def test_without_a_site_address_nothing_is_emailed_and_the_error_says_what_to_set(alice, mailoutbox, dora, settings):
    settings.SITE_URL = ""
    ids = [n.pk for n in received([alice, dora], link="/protocols/7/")]
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        deliver(ids)
    with pytest.raises(ImproperlyConfigured, match="SITE_URL"):
        services.send_digest(user_id=dora.pk)
    assert mailoutbox == []
    # Nothing was claimed: once SITE_URL is set, the re-dispatch and the digest send them.
    assert Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_nothing_is_recorded_or_sent_when_the_transaction_rolls_back(
    alice, mailoutbox, django_capture_on_commit_callbacks
):
    def change_that_fails() -> None:
        with transaction.atomic():
            received([alice])
            raise RuntimeError("the caller's change failed")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError, match="the caller's change failed"),
    ):
        change_that_fails()
    assert callbacks == []
    assert mailoutbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_delivering_twice_sends_once(alice, mailoutbox):
    ids = [n.pk for n in received([alice])]
    assert deliver(ids) == 1
    assert deliver(ids) == 0
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_inactive_users_get_nothing(alice, mailoutbox, django_capture_on_commit_callbacks):
    inactive = UserFactory(is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert received([inactive]) == []
    assert not Notification.objects.exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_user_deactivated_before_delivery_gets_no_email(alice, mailoutbox):
    ids = [n.pk for n in received([alice])]
    alice.is_active = False
    alice.save()
    assert deliver(ids) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_repeated_recipient_is_notified_once(alice, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        received([alice, bob, alice])
    assert Notification.objects.filter(recipient=alice).count() == 1
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_no_recipients_means_no_query_and_no_callback(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks, CaptureQueriesContext(connection) as captured:
        assert received([]) == []
    assert len(captured) == 0
    assert callbacks == []


@pytest.mark.django_db
def test_a_failed_email_is_released_for_a_retry_and_the_others_are_still_sent(alice, bob, mailoutbox, monkeypatch):
    ids = [n.pk for n in received([alice, bob])]
    real_send = mail.EmailMultiAlternatives.send

    def send_failing_for_alice(message, *args, **kwargs):
        if message.to == [alice.email]:
            raise OSError("mail server said no")
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", send_failing_for_alice)
    with pytest.raises(DeliveryFailed) as failure:
        deliver(ids)
    assert failure.value.notification_ids == [Notification.objects.get(recipient=alice).pk]
    assert Notification.objects.get(recipient=alice).emailed_at is None
    assert [m.to for m in mailoutbox] == [[bob.email]]

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", real_send)
    assert deliver(ids) == 1
    assert [m.to for m in mailoutbox] == [[bob.email], [alice.email]]


@pytest.mark.django_db
def test_a_failing_mail_server_does_not_break_the_committed_change(
    alice, mailoutbox, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", broken)
    with django_capture_on_commit_callbacks(execute=True):
        received([alice])  # the robust callback logs the failure instead of raising it
    assert Notification.objects.get().emailed_at is None


@pytest.mark.django_db
def test_an_unknown_kind_is_refused(alice):
    with pytest.raises(ValueError, match="Unknown notification kind"):
        notify(recipients=[alice], kind="submission.vanished", params=PARAMS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example", "protocols/1/"]
)
def test_a_link_that_is_not_a_path_on_this_site_is_refused(alice, link):
    with pytest.raises(ValueError, match="path on this site"):
        received([alice], link=link)


@pytest.mark.django_db
def test_notifications_can_be_filtered_by_protocol(alice, pi):
    protocol = make_draft(pi)
    received([alice], protocol=protocol)
    received([alice])
    assert Notification.objects.filter(protocol=protocol).count() == 1


@pytest.mark.django_db(transaction=True)
def test_notify_outside_a_transaction_is_refused(alice):
    with pytest.raises(RuntimeError, match="inside the transaction"):
        received([alice])


@pytest.mark.django_db
def test_only_the_recipient_may_mark_a_notification_read(alice, bob):
    (notification,) = received([alice])
    with pytest.raises(PermissionDenied):
        mark_read(notification=notification, by=bob)
    assert Notification.objects.get().read_at is None
    mark_read(notification=notification, by=alice)
    first = Notification.objects.get().read_at
    assert first is not None
    mark_read(notification=notification, by=alice)
    assert Notification.objects.get().read_at == first


@pytest.mark.django_db
def test_mark_all_read_touches_only_my_unread_notifications(alice, bob):
    received([alice, bob])
    received([alice])
    assert mark_all_read(user=alice) == 2
    assert mark_all_read(user=alice) == 0
    assert Notification.objects.filter(recipient=bob, read_at__isnull=True).count() == 1


def test_the_subject_prefix_is_the_one_the_issue_asks_for():
    assert services.SUBJECT_PREFIX == "[Research Governance] "


# Immediate emails or a daily digest.


@pytest.fixture
def dora(db):
    return UserFactory(
        email="dora@test.example", name_latin="Dora Digest", preferred_language="en", notification_mode="digest"
    )


@pytest.mark.django_db
def test_a_digest_reader_gets_no_email_when_notified_and_the_row_waits_for_the_digest(
    alice, dora, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        received([alice, dora])
    assert [m.to for m in mailoutbox] == [[alice.email]]
    assert Notification.objects.get(recipient=dora).emailed_at is None


@pytest.mark.django_db
def test_deliver_leaves_a_digest_reader_s_rows_to_the_digest(dora, mailoutbox):
    ids = [n.pk for n in received([dora])]
    assert deliver(ids) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_digest_is_one_email_with_every_pending_notification_in_text_and_html(dora, mailoutbox, settings):
    settings.SITE_URL = "https://rg.example"
    received([dora], link="/protocols/7/")
    notify(recipients=[dora], kind="submission.accepted", params={"reference": "R-2026-002", "title": "Another"})
    assert services.send_digest(user_id=dora.pk) == 2
    (message,) = mailoutbox
    assert message.to == [dora.email]
    assert message.subject == "[Research Governance] Your daily digest: 2 notifications"
    assert "Dear Dora Digest," in message.body
    assert "New submission R-2026-001: A study" in message.body
    assert "Submission R-2026-002 accepted for review" in message.body
    assert "https://rg.example/protocols/7/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="en">' in html
    assert 'href="https://rg.example/protocols/7/"' in html
    assert "Submission R-2026-002 accepted for review" in html
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_japanese_digest_reader_reads_the_notifications_in_japanese(mailoutbox):
    hanako = UserFactory(email="hanako-digest@test.example", preferred_language="ja", notification_mode="digest")
    received([hanako])
    services.send_digest(user_id=hanako.pk)
    (message,) = mailoutbox
    assert "研究の題名" in message.body
    assert '<html lang="ja">' in message.alternatives[0][0]


@pytest.mark.django_db
def test_a_digest_is_sent_once_however_often_it_runs(dora, mailoutbox):
    received([dora])
    assert services.send_digest(user_id=dora.pk) == 1
    assert services.send_digest(user_id=dora.pk) == 0
    assert len(mailoutbox) == 1
    received([dora])
    assert services.send_digest(user_id=dora.pk) == 1
    assert "1 notification" in mailoutbox[1].subject


@pytest.mark.django_db
def test_a_digest_that_cannot_be_sent_is_released_for_the_next_run(dora, mailoutbox, monkeypatch):
    received([dora])

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr(mail.EmailMultiAlternatives, "send", broken)
    with pytest.raises(DeliveryFailed):
        services.send_digest(user_id=dora.pk)
    assert Notification.objects.get().emailed_at is None
    monkeypatch.undo()
    assert services.send_digest(user_id=dora.pk) == 1
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_someone_who_wants_immediate_emails_gets_no_digest(alice, mailoutbox):
    received([alice])
    assert services.send_digest(user_id=alice.pk) == 0
    assert mailoutbox == []


@pytest.mark.django_db
def test_switching_to_immediate_emails_leaves_pending_rows_to_the_re_dispatch(dora, mailoutbox):
    ids = [n.pk for n in received([dora])]
    services.notification_mode_update(user=dora, mode="immediate")
    assert services.send_digest(user_id=dora.pk) == 0
    assert deliver(ids) == 1


@pytest.mark.django_db
def test_an_unknown_notification_mode_is_refused(alice):
    with pytest.raises(ValueError, match="Unknown notification mode"):
        services.notification_mode_update(user=alice, mode="weekly")
    alice.refresh_from_db()
    assert alice.notification_mode == "immediate"


@pytest.mark.django_db(transaction=True)
def test_notify_many_records_every_notice_in_one_insert_and_mails_each_recipient_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    people = [UserFactory() for _ in range(3)]
    params = {"reference": "R-1", "title": bilingual("題", "Title"), "due_date": "2027-01-01"}
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        created = services.notify_many(
            [services.Notice(recipients=[person], kind="reviewer.assigned", params=params) for person in people]
        )
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "notifications_')]
    assert len(inserts) == 1
    assert len(created) == 3
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in people)
