"""Correcting a meeting before it takes up its business: rescheduling it (another date, time or
place) and taking an item off its agenda. Each is the secretariat's, refused with the reason
when it no longer may happen, audited, and told to the members once, in their language; an item
taken off waits again for the secretariat to put it on an agenda."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.core.work import work_for
from research_governance.notifications.models import Notification
from research_governance.reviews.meeting import selectors as meeting_selectors
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import AgendaItem, Meeting
from tests.committees.support import make_committee
from tests.factories import InstitutionFactory, UserFactory
from tests.reviews.meeting.support import SIX, accepted_full_board, meeting_with_item, vote_all

pytestmark = pytest.mark.django_db


class Told:
    """The notifications queued since the last look."""

    def __init__(self):
        self.seen = Notification.objects.count()

    def since(self) -> list[Notification]:
        new = list(Notification.objects.order_by("id")[self.seen :])
        self.seen += len(new)
        return new


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def upcoming(pi, secretariat, items=1):
    """A meeting in two days, not yet held, with ``items`` submissions on its agenda."""
    committee, members = make_committee(SIX)
    meeting = meeting_services.meeting_schedule(
        committee=committee,
        by=secretariat,
        scheduled_at=(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0),
        location="Room 1",
    )
    added = [
        meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat))
        for _ in range(items)
    ]
    return committee, members, meeting, added


def remove(item, by, reason="Put on by mistake."):
    return meeting_services.agenda_item_remove(item=item, by=by, reason=reason)


def reschedule(meeting, by, days=9, location="Room 2"):
    moment = (timezone.now() + timedelta(days=days)).replace(second=0, microsecond=0)
    return meeting_services.meeting_reschedule(meeting=meeting, by=by, scheduled_at=moment, location=location)


def elsewhere_secretariat():
    return UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.SECRETARIAT])


# --- rescheduling ---------------------------------------------------------------------------


def test_a_meeting_is_rescheduled_audited_and_each_member_told_once_what_changed(pi, secretariat):
    _committee, members, meeting, (item,) = upcoming(pi, secretariat)
    old_when = when(meeting.scheduled_at)
    told = Told()
    moved = reschedule(meeting, secretariat)
    meeting.refresh_from_db()
    assert (meeting.scheduled_at, meeting.location) == (moved.scheduled_at, "Room 2")
    assert meeting.status == Meeting.Status.SCHEDULED
    event = AuditEvent.objects.get(action="meeting.rescheduled")
    assert event.target_id == str(meeting.pk)
    assert event.actor_id == secretariat.pk
    assert event.data["old"]["location"] == "Room 1"
    assert event.data["new"] == {"scheduled_at": meeting.scheduled_at.isoformat(), "location": "Room 2"}
    notices = told.since()
    assert {n.kind for n in notices} == {"meeting.changed"}
    assert sorted(n.recipient_id for n in notices) == sorted(m.user_id for m in members)
    with translation.override("en"):
        body = notices[0].body
        assert f"The meeting was moved from {old_when} at Room 1 to {when(meeting.scheduled_at)} at Room 2." in body
        assert f"meets on {when(meeting.scheduled_at)} at Room 2" in body
        assert item.submission.protocol.reference in body
        assert notices[0].subject.startswith("Meeting changed: Ethics Committee")
    with translation.override("ja"):
        assert "倫理審査委員会" in notices[0].body
        assert "完全な研究計画" in notices[0].body


def test_moving_a_meeting_back_to_its_first_date_tells_the_members_again(pi, secretariat):
    _committee, members, meeting, _items = upcoming(pi, secretariat)
    first = meeting.scheduled_at
    reschedule(meeting, secretariat)
    told = Told()
    meeting_services.meeting_reschedule(meeting=meeting, by=secretariat, scheduled_at=first, location="Room 1")
    notices = told.since()
    assert sorted(n.recipient_id for n in notices) == sorted(m.user_id for m in members)
    assert AuditEvent.objects.filter(action="meeting.rescheduled").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_changed_notice_is_emailed_once_to_each_member_in_their_language(
    pi, secretariat, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _committee, members, meeting, _items = upcoming(pi, secretariat)
    english = members[0].user
    english.preferred_language = "en"
    english.save(update_fields=["preferred_language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        reschedule(meeting, secretariat)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(m.user.email for m in members)
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "Ethics Committee" in by_address[english.email].body
    assert "A complete protocol" in by_address[english.email].body
    japanese = by_address[members[1].user.email]
    assert "倫理審査委員会" in japanese.body
    assert "完全な研究計画" in japanese.body


def test_a_member_whose_term_ends_before_the_new_date_is_told_too(pi, secretariat):
    _committee, members, meeting, _items = upcoming(pi, secretariat)
    leaving = members[5]
    leaving.valid_to = timezone.localdate(meeting.scheduled_at) + timedelta(days=1)
    leaving.save(update_fields=["valid_to"])
    told = Told()
    reschedule(meeting, secretariat, days=20)
    assert sorted(n.recipient_id for n in told.since()) == sorted(m.user_id for m in members)


def test_only_the_place_may_change_on_the_day_even_once_the_hour_has_passed(secretariat):
    committee, _members = make_committee(SIX)
    started = timezone.now() - timedelta(minutes=10)
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=started, location="Room 1"
    )
    moved = meeting_services.meeting_reschedule(
        meeting=meeting, by=secretariat, scheduled_at=started.replace(second=0, microsecond=0), location="Room 3"
    )
    assert (moved.scheduled_at, moved.location) == (started, "Room 3")


def test_rescheduling_is_refused_with_the_reason_and_changes_nothing(pi, secretariat):
    _committee, members, meeting, _items = upcoming(pi, secretariat)
    before = (AuditEvent.objects.count(), Notification.objects.count())
    with pytest.raises(ValidationError, match="have passed") as refused:
        meeting_services.meeting_reschedule(
            meeting=meeting, by=secretariat, scheduled_at=timezone.now() - timedelta(days=1), location="Room 1"
        )
    assert "scheduled_at" in refused.value.message_dict
    with pytest.raises(ValidationError, match="nothing was changed"):
        meeting_services.meeting_reschedule(
            meeting=meeting, by=secretariat, scheduled_at=meeting.scheduled_at, location=" Room 1 "
        )
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    before = (AuditEvent.objects.count(), Notification.objects.count())
    with pytest.raises(ValidationError, match="the meeting has taken place"):
        reschedule(meeting, secretariat)
    assert (AuditEvent.objects.count(), Notification.objects.count()) == before
    meeting.refresh_from_db()
    assert meeting.location == "Room 1"


def test_a_closed_meeting_cannot_be_rescheduled(secretariat):
    committee, members = make_committee(SIX)
    meeting = meeting_services.meeting_schedule(committee=committee, by=secretariat, scheduled_at=timezone.now())
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    meeting_services.meeting_close(meeting=meeting, by=secretariat)
    with pytest.raises(ValidationError, match="This meeting is closed"):
        reschedule(meeting, secretariat)


def test_members_the_chair_investigators_and_another_institution_s_secretariat_may_not_reschedule_or_take_off(
    pi, secretariat
):
    _committee, members, meeting, (item,) = upcoming(pi, secretariat)
    members[3].role = "chair"
    members[3].save()
    for person in (members[0].user, members[3].user, pi, elsewhere_secretariat()):
        with pytest.raises(PermissionDenied):
            reschedule(meeting, person)
        with pytest.raises(PermissionDenied):
            remove(item, person)
    assert AgendaItem.objects.filter(pk=item.pk).exists()
    assert not AuditEvent.objects.filter(action__in=["meeting.rescheduled", "meeting.item_removed"]).exists()


# --- taking an item off the agenda ----------------------------------------------------------


def test_an_item_taken_off_is_gone_audited_the_next_move_up_and_the_members_are_told(pi, secretariat):
    _committee, members, meeting, (first, second, third) = upcoming(pi, secretariat, items=3)
    told = Told()
    assert remove(second, secretariat, reason="  Put on by mistake.  ") == meeting
    assert list(meeting.items.order_by("order").values_list("pk", "order")) == [(first.pk, 1), (third.pk, 2)]
    event = AuditEvent.objects.get(action="meeting.item_removed")
    assert event.target_type == "reviews.agendaitem"
    assert event.target_id == str(second.pk)
    assert event.protocol_id == second.submission.protocol_id
    assert event.data["reason"] == "Put on by mistake."
    assert event.data["submission_id"] == second.submission_id
    assert event.data["order"] == 2
    assert event.data["moved_up"] == [third.pk]
    notices = [n for n in told.since() if n.kind.startswith("meeting.")]
    assert {n.kind for n in notices} == {"meeting.changed"}
    assert sorted(n.recipient_id for n in notices) == sorted(m.user_id for m in members)
    protocol = second.submission.protocol
    with translation.override("en"):
        body = notices[0].body
    assert (
        f"An item was taken off the agenda: {protocol.reference} A complete protocol. Reason: Put on by mistake."
        in body
    )
    agenda = body.split("Agenda:\n", 1)[1]
    assert agenda.count("\n") == 1  # two items left
    assert protocol.reference not in agenda
    with translation.override("ja"):
        assert f"{protocol.reference} 完全な研究計画" in notices[0].body


def test_the_submission_taken_off_waits_again_for_the_secretariat_to_put_it_on_an_agenda(pi, secretariat):
    _committee, members, meeting, (item,) = upcoming(pi, secretariat)
    submission = item.submission

    def waiting_for_an_agenda():
        return [
            w
            for w in work_for(secretariat)
            if w.step.code == "ethics.agenda" and w.protocol_id == submission.protocol_id
        ]

    assert waiting_for_an_agenda() == []
    remove(item, secretariat)
    assert len(waiting_for_an_agenda()) == 1
    assert submission in meeting_selectors.agenda_candidates(meeting)
    # Put back on: the members are told again, though the agenda is as they were told before.
    told = Told()
    meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=submission)
    notices = [n for n in told.since() if n.kind == "meeting.notice"]
    assert sorted(n.recipient_id for n in notices) == sorted(m.user_id for m in members)
    assert waiting_for_an_agenda() == []


def test_another_secretary_sees_the_work_come_back(pi, secretariat):
    _committee, _members, _meeting, (item,) = upcoming(pi, secretariat)
    colleague = UserFactory(roles=[Role.SECRETARIAT])
    remove(item, secretariat)
    assert [w for w in work_for(colleague) if w.step.code == "ethics.agenda"]


def test_a_recusal_recorded_on_the_item_goes_with_it_and_stays_in_the_audit_trail(pi, secretariat):
    _committee, members, meeting, (item,) = upcoming(pi, secretariat)
    meeting_services.recusal_add(item=item, by=secretariat, membership=members[0], reason="Former student.")
    remove(item, secretariat)
    assert not meeting.items.exists()
    event = AuditEvent.objects.get(action="meeting.item_removed")
    assert event.data["recusals"] == [{"membership_id": members[0].pk, "reason": "Former student."}]


def test_taking_an_item_off_is_refused_with_the_reason_once_voted_decided_or_deferred(pi, secretariat):
    _committee, members, meeting, item = meeting_with_item(pi, secretariat)
    with pytest.raises(ValidationError, match="Say why the item is taken off") as refused:
        remove(item, secretariat, reason="  ")
    assert "reason" in refused.value.message_dict
    vote_all(item, members, ["for"])
    with pytest.raises(ValidationError, match="Votes have been cast on this item"):
        remove(item, secretariat)
    meeting_services.item_decide(item=item, by=secretariat, outcome="revise", reasons="Clarify.", conditions=())
    with pytest.raises(ValidationError, match="already been decided"):
        remove(item, secretariat)
    other = meeting_services.agenda_add(
        meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat)
    )
    meeting_services.agenda_item_defer(item=other, by=secretariat, reason="Not ready.")
    with pytest.raises(ValidationError, match="was deferred to a later meeting"):
        remove(other, secretariat)
    meeting_services.meeting_close(meeting=meeting, by=secretariat)
    with pytest.raises(ValidationError, match="This meeting is closed"):
        remove(other, secretariat)
    assert meeting.items.count() == 2
    assert not AuditEvent.objects.filter(action="meeting.item_removed").exists()


def test_an_item_nobody_voted_on_may_be_taken_off_a_meeting_already_held(pi, secretariat):
    _committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    remove(item, secretariat)
    assert not meeting.items.exists()


def test_a_deferral_tells_the_members_what_changed_even_when_the_agenda_is_back_to_an_earlier_one(pi, secretariat):
    _committee, members, _meeting, (item,) = upcoming(pi, secretariat)
    told = Told()
    meeting_services.agenda_item_defer(item=item, by=secretariat, reason="Not ready.")
    notices = [n for n in told.since() if n.kind.startswith("meeting.")]
    assert {n.kind for n in notices} == {"meeting.changed"}
    assert sorted(n.recipient_id for n in notices) == sorted(m.user_id for m in members)
    with translation.override("en"):
        assert "An item was deferred to a later meeting" in notices[0].body


# --- pages ----------------------------------------------------------------------------------


def page_urls(committee, meeting, item):
    return {
        "detail": reverse("committees:meeting_detail", args=[committee.pk, meeting.pk]),
        "reschedule": reverse("committees:meeting_reschedule", args=[committee.pk, meeting.pk]),
        "remove": reverse("committees:item_remove", args=[committee.pk, meeting.pk, item.pk]),
    }


def test_the_secretariat_reschedules_on_the_meeting_page_and_bad_input_is_kept(client_for, pi, secretariat):
    committee, _members, meeting, (item,) = upcoming(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    client = client_for(secretariat)
    page = client.get(urls["detail"]).content.decode()
    assert 'id="reschedule-form"' in page
    assert f'value="{timezone.localtime(meeting.scheduled_at):%Y-%m-%dT%H:%M}"' in page
    page = client.post(
        urls["reschedule"], {"reschedule-scheduled_at": "not a date", "reschedule-location": "Room 9"}
    ).content.decode()
    assert "The meeting was not rescheduled." in page
    assert 'id="reschedule" open' in page
    assert 'value="Room 9"' in page
    past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = client.post(
        urls["reschedule"], {"reschedule-scheduled_at": past, "reschedule-location": "Room 9"}
    ).content.decode()
    assert "have passed" in page
    assert f'value="{past}"' in page
    assert 'value="Room 9"' in page
    meeting.refresh_from_db()
    assert meeting.location == "Room 1"
    later = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(urls["reschedule"], {"reschedule-scheduled_at": later, "reschedule-location": "Room 9"})
    assert response.url == urls["detail"]
    meeting.refresh_from_db()
    assert (when(meeting.scheduled_at), meeting.location) == (later.replace("T", " "), "Room 9")
    page = client.get(urls["detail"]).content.decode()
    assert "The meeting was rescheduled." in page


def test_the_reschedule_form_is_the_secretariat_s_and_goes_once_the_meeting_is_held(client_for, pi, secretariat):
    committee, members, meeting, (item,) = upcoming(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    member_page = client_for(members[0].user).get(urls["detail"]).content.decode()
    assert 'id="reschedule-form"' not in member_page
    assert f'id="remove-{item.pk}"' not in member_page
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    page = client_for(secretariat).get(urls["detail"]).content.decode()
    assert 'id="reschedule-form"' not in page
    assert f'id="remove-{item.pk}"' in page


def test_the_secretariat_takes_an_item_off_on_the_meeting_page_and_a_missing_reason_keeps_the_form_open(
    client_for, pi, secretariat
):
    committee, _members, meeting, (first, second) = upcoming(pi, secretariat, items=2)
    urls = page_urls(committee, meeting, second)
    client = client_for(secretariat)
    page = client.get(urls["detail"]).content.decode()
    assert f'id="remove-{second.pk}"' in page
    response = client.post(urls["remove"], {f"remove-{second.pk}-reason": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Item 2 was not taken off the agenda" in page
    assert f'id="remove-{second.pk}" open' in page
    assert AgendaItem.objects.filter(pk=second.pk).exists()
    response = client.post(urls["remove"], {f"remove-{second.pk}-reason": "Wrong committee."}, follow=True)
    assert response.redirect_chain[-1][0] == urls["detail"]
    page = response.content.decode()
    assert "was taken off the agenda" in page
    assert f'id="item-{second.pk}"' not in page
    assert f'id="item-{first.pk}"' in page


def test_an_item_with_votes_offers_no_take_off_and_a_stale_post_is_refused_with_the_reason(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    vote_all(item, members, ["for"])
    client = client_for(secretariat)
    page = client.get(urls["detail"]).content.decode()
    assert f'id="remove-{item.pk}"' not in page
    assert f'id="defer-{item.pk}"' in page
    response = client.post(urls["remove"], {f"remove-{item.pk}-reason": "Typed in a stale tab."})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Votes have been cast on this item" in page
    assert "Typed in a stale tab." in page
    assert AgendaItem.objects.filter(pk=item.pk).exists()


def test_members_may_not_reschedule_or_take_off_others_get_404_anonymous_sign_in(client_for, pi, secretariat):
    committee, members, meeting, (item,) = upcoming(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    later = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    payloads = {
        "reschedule": {"reschedule-scheduled_at": later, "reschedule-location": "Intruder room"},
        "remove": {f"remove-{item.pk}-reason": "Hijacked"},
    }
    for route, payload in payloads.items():
        assert client_for(members[0].user).post(urls[route], payload).status_code == 403
        assert client_for(pi).post(urls[route], payload).status_code == 404
        assert client_for(elsewhere_secretariat()).post(urls[route], payload).status_code == 404
        assert client_for(None).post(urls[route], payload).url.startswith("/accounts/login/")
        assert client_for(secretariat).get(urls[route]).status_code == 405
    meeting.refresh_from_db()
    assert meeting.location == "Room 1"
    assert AgendaItem.objects.filter(pk=item.pk).exists()
