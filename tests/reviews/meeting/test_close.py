"""Closing a meeting: every item decided or deferred first; afterwards its record, and so its
minutes, are final (US-IRB-08)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise

from research_governance.audit.models import AuditEvent
from research_governance.reviews.meeting import selectors as meeting_selectors
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.meeting import workflow
from research_governance.reviews.models import Meeting
from research_governance.reviews.workflow import SubmissionStatus
from tests.committees.support import make_committee
from tests.reviews.meeting.support import (
    SIX,
    accepted_full_board,
    declare_conflict,
    meeting_with_item,
    put_on_team,
    vote_all,
)

pytestmark = pytest.mark.django_db


def decide(item, by):
    return meeting_services.item_decide(item=item, by=by, outcome="not_approved", reasons="Too risky.", conditions=())


def two_items(pi, secretariat):
    """A held meeting with two items, neither decided nor deferred."""
    committee, members, meeting, first = meeting_with_item(pi, secretariat)
    second = meeting_services.agenda_add(
        meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat)
    )
    return committee, members, meeting, first, second


def closed_meeting(pi, secretariat):
    """A closed meeting: the first item decided, the second deferred."""
    committee, members, meeting, first, second = two_items(pi, secretariat)
    vote_all(first, members, ["against"] * len(members))
    decide(first, secretariat)
    meeting_services.agenda_item_defer(item=second, by=secretariat, reason="The consent form was not ready.")
    meeting_services.meeting_close(meeting=meeting, by=secretariat)
    return committee, members, meeting, first, second


def test_a_meeting_whose_attendance_was_never_recorded_cannot_be_closed(secretariat):
    committee, _members = make_committee(SIX)
    meeting = meeting_services.meeting_schedule(committee=committee, by=secretariat, scheduled_at=timezone.now())
    with pytest.raises(ValidationError, match="Attendance was never recorded"):
        meeting_services.meeting_close(meeting=meeting, by=secretariat)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED


def test_a_meeting_with_an_item_neither_decided_nor_deferred_cannot_be_closed_and_the_item_is_named(pi, secretariat):
    _committee, members, meeting, first, second = two_items(pi, secretariat)
    vote_all(first, members, ["against"] * len(members))
    decide(first, secretariat)
    with pytest.raises(ValidationError) as refused:
        meeting_services.meeting_close(meeting=meeting, by=secretariat)
    assert "Decide or defer every item first" in str(refused.value)
    assert f"2. {second.submission.protocol}" in str(refused.value)
    assert f"1. {first.submission.protocol}" not in str(refused.value)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_deferring_the_open_item_lets_the_meeting_close_and_both_steps_are_audited(pi, secretariat):
    _committee, _members, meeting, first, second = closed_meeting(pi, secretariat)
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.CLOSED
    assert meeting.closed_by == secretariat
    assert meeting.closed_at is not None
    second.refresh_from_db()
    assert second.is_deferred
    assert second.deferral_reason == "The consent form was not ready."
    deferred = AuditEvent.objects.get(action="meeting.item_deferred")
    assert deferred.data["agenda_item_id"] == second.pk
    assert deferred.data["reason"] == "The consent form was not ready."
    closed = AuditEvent.objects.get(action="meeting.closed")
    assert closed.target_id == str(meeting.pk)
    assert closed.data["old"] == {"status": "held"}
    assert closed.data["new"] == {"status": "closed"}
    assert closed.data["decided_item_ids"] == [first.pk]
    assert closed.data["deferred_item_ids"] == [second.pk]


def test_a_meeting_with_nothing_on_the_agenda_closes_once_attendance_is_recorded(secretariat):
    committee, members = make_committee(SIX)
    meeting = meeting_services.meeting_schedule(committee=committee, by=secretariat, scheduled_at=timezone.now())
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    assert meeting_services.meeting_close(meeting=meeting, by=secretariat).status == Meeting.Status.CLOSED


def test_members_the_chair_and_investigators_cannot_close_a_meeting_or_defer_an_item(pi, secretariat):
    _committee, members, meeting, item = meeting_with_item(pi, secretariat)
    members[3].role = "chair"
    members[3].save()
    for person in (members[0].user, members[3].user, pi):
        with pytest.raises(PermissionDenied):
            meeting_services.agenda_item_defer(item=item, by=person, reason="Not ready.")
        with pytest.raises(PermissionDenied):
            meeting_services.meeting_close(meeting=meeting, by=person)
    item.refresh_from_db()
    assert not item.is_deferred


def test_a_deferral_needs_a_reason_and_a_decided_item_cannot_be_deferred(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    with pytest.raises(ValidationError, match="Say why the item is deferred"):
        meeting_services.agenda_item_defer(item=item, by=secretariat, reason="  ")
    vote_all(item, members, ["against"] * len(members))
    decide(item, secretariat)
    with pytest.raises(ValidationError, match="already been decided"):
        meeting_services.agenda_item_defer(item=item, by=secretariat, reason="Too late.")


def test_a_deferred_item_takes_no_more_votes_recusals_or_decision(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    meeting_services.agenda_item_defer(item=item, by=secretariat, reason="Not ready.")
    with pytest.raises(ValidationError, match="deferred to a later meeting"):
        meeting_services.vote_cast(item=item, by=members[0].user, choice="for")
    with pytest.raises(ValidationError, match="deferred to a later meeting"):
        meeting_services.recusal_add(item=item, by=secretariat, membership=members[1], reason="Asked to step out.")
    with pytest.raises(ValidationError, match="deferred to a later meeting"):
        decide(item, secretariat)
    with pytest.raises(ValidationError, match="deferred to a later meeting"):
        meeting_services.agenda_item_defer(item=item, by=secretariat, reason="Again.")


def test_a_submission_waits_on_one_agenda_until_deferred_then_goes_on_a_later_meeting_s(pi, secretariat):
    committee, _members, first_meeting, item = meeting_with_item(pi, secretariat)
    later = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(days=30)
    )
    assert item.submission not in meeting_selectors.agenda_candidates(later)
    with pytest.raises(ValidationError, match="already on the agenda of the meeting of"):
        meeting_services.agenda_add(meeting=later, by=secretariat, submission=item.submission)

    meeting_services.agenda_item_defer(item=item, by=secretariat, reason="Not ready.")
    item.submission.refresh_from_db()
    # The submission is untouched by the deferral: still accepted for the full board.
    assert item.submission.status == SubmissionStatus.ACCEPTED
    assert item.submission in meeting_selectors.agenda_candidates(later)
    again = meeting_services.agenda_add(meeting=later, by=secretariat, submission=item.submission)
    assert again.meeting == later
    assert again.is_pending
    # Not back on the meeting that deferred it.
    assert item.submission not in meeting_selectors.agenda_candidates(first_meeting)


CLOSED_WRITES = {
    "attendance": lambda meeting, members, first, second, secretariat: meeting_services.attendance_record(
        meeting=meeting, by=secretariat, present=members
    ),
    "agenda": lambda meeting, members, first, second, secretariat: meeting_services.agenda_add(
        meeting=meeting, by=secretariat, submission=second.submission
    ),
    "recusal": lambda meeting, members, first, second, secretariat: meeting_services.recusal_add(
        item=second, by=secretariat, membership=members[0], reason="Asked to step out."
    ),
    "vote": lambda meeting, members, first, second, secretariat: meeting_services.vote_cast(
        item=second, by=members[0].user, choice="for"
    ),
    "decision": lambda meeting, members, first, second, secretariat: decide(second, secretariat),
    "deferral": lambda meeting, members, first, second, secretariat: meeting_services.agenda_item_defer(
        item=second, by=secretariat, reason="Again."
    ),
    "narrative": lambda meeting, members, first, second, secretariat: meeting_services.minutes_update(
        meeting=meeting, by=secretariat, narrative="Rewritten afterwards."
    ),
}


@pytest.mark.parametrize("write", sorted(CLOSED_WRITES))
def test_a_closed_meeting_refuses_every_change_to_its_record_with_the_reason(pi, secretariat, write):
    _committee, members, meeting, first, second = closed_meeting(pi, secretariat)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="This meeting is closed"):
        CLOSED_WRITES[write](meeting, members, first, second, secretariat)
    assert AuditEvent.objects.count() == before


def test_a_closed_meeting_cannot_be_closed_again(pi, secretariat):
    _committee, _members, meeting, _first, _second = closed_meeting(pi, secretariat)
    with pytest.raises(ValidationError, match="already closed"):
        meeting_services.meeting_close(meeting=meeting, by=secretariat)


def test_the_meeting_workflow_table_declares_schedule_held_closed_and_every_refusal_is_translatable():
    actions = {transition.action: transition for transition in workflow.MEETING_TRANSITIONS}
    assert set(actions) == {"schedule", "reschedule", "record_attendance", "close"}
    assert actions["schedule"].target == Meeting.Status.SCHEDULED
    assert actions["reschedule"].sources == {Meeting.Status.SCHEDULED}
    assert actions["reschedule"].target == Meeting.Status.SCHEDULED
    assert actions["record_attendance"].target == Meeting.Status.HELD
    assert actions["close"].sources == {Meeting.Status.HELD}
    assert actions["close"].target == Meeting.Status.CLOSED
    # Every status either allows the action or says why not.
    for transition in workflow.MEETING_TRANSITIONS[1:]:
        for status in Meeting.Status.values:
            assert status in transition.sources or status in transition.refused, (transition.action, status)
    reasons = [reason for t in workflow.MEETING_TRANSITIONS for reason in t.refused.values()]
    assert all(isinstance(reason, Promise) for reason in [*reasons, workflow.CLOSED_REASON])


# --- pages ----------------------------------------------------------------------------------


def page_urls(committee, meeting, item=None):
    urls = {
        "detail": reverse("committees:meeting_detail", args=[committee.pk, meeting.pk]),
        "close": reverse("committees:meeting_close", args=[committee.pk, meeting.pk]),
        "minutes": reverse("committees:minutes", args=[committee.pk, meeting.pk]),
    }
    if item is not None:
        urls["defer"] = reverse("committees:item_defer", args=[committee.pk, meeting.pk, item.pk])
        urls["item"] = reverse("committees:item", args=[committee.pk, meeting.pk, item.pk])
    return urls


def test_the_meeting_page_shows_the_next_step_and_a_defer_action_on_each_open_item(client_for, pi, secretariat):
    committee, members, meeting, first, second = two_items(pi, secretariat)
    vote_all(first, members, ["against"] * len(members))
    decide(first, secretariat)
    page = client_for(secretariat).get(page_urls(committee, meeting)["detail"]).content.decode()
    assert 'id="next-action"' in page
    assert "1 item is neither decided nor deferred" in page
    assert 'id="close-meeting"' in page
    assert f'id="defer-{second.pk}"' in page
    assert f'id="defer-{first.pk}"' not in page
    # Members see the next step but not the secretariat's buttons.
    member_page = client_for(members[0].user).get(page_urls(committee, meeting)["detail"]).content.decode()
    assert "1 item is neither decided nor deferred" in member_page
    assert 'id="close-meeting"' not in member_page
    assert f'id="defer-{second.pk}"' not in member_page


def test_the_closing_page_lists_what_is_still_open_and_closing_is_refused_with_a_message(client_for, pi, secretariat):
    committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    urls = page_urls(committee, meeting, item)
    page = client.get(urls["close"]).content.decode()
    assert "Still open" in page
    assert 'id="close-blocked"' in page
    assert str(item.submission.protocol) in page
    response = client.post(urls["close"])
    assert response.status_code == 200
    text = response.content.decode()
    assert "The meeting was not closed." in text
    assert "Decide or defer every item first" in text
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD


def test_the_secretariat_defers_from_the_closing_page_then_closes_and_the_minutes_are_final(
    client_for, pi, secretariat
):
    committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    urls = page_urls(committee, meeting, item)
    response = client.post(
        urls["defer"],
        {f"defer-{item.pk}-reason": "Waiting for the DSMB report.", f"defer-{item.pk}-return_to": "close"},
    )
    assert response.url == urls["close"]
    page = client.get(urls["close"]).content.decode()
    assert "Deferred to a later meeting" in page
    assert 'id="close-blocked"' not in page
    response = client.post(urls["close"], follow=True)
    assert response.redirect_chain[-1][0] == urls["detail"]
    detail = response.content.decode()
    assert "The meeting was closed. Its minutes are final." in detail
    assert "Closed on" in detail
    assert secretariat.display_name in detail
    assert 'id="attendance-form"' not in detail
    assert 'id="agenda-form"' not in detail
    minutes = client.get(urls["minutes"]).content.decode()
    assert 'id="minutes-final"' in minutes
    assert "These minutes are final." in minutes
    assert 'id="minutes-form"' not in minutes
    assert "Waiting for the DSMB report." in minutes
    # The closing page of a closed meeting sends the secretariat back with a message.
    again = client.get(urls["close"], follow=True)
    assert "This meeting is already closed." in again.content.decode()


def test_a_deferral_without_a_reason_is_refused_with_a_message_and_the_form_is_kept_open(client_for, pi, secretariat):
    committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    response = client_for(secretariat).post(
        urls["defer"], {f"defer-{item.pk}-reason": "", f"defer-{item.pk}-return_to": "detail"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f"Item {item.order} was not deferred" in page
    assert f'id="defer-{item.pk}" open' in page
    item.refresh_from_db()
    assert not item.is_deferred


def test_members_may_not_close_or_defer_investigators_get_404_anonymous_sign_in(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    urls = page_urls(committee, meeting, item)
    payload = {f"defer-{item.pk}-reason": "Not ready.", f"defer-{item.pk}-return_to": "detail"}
    member = client_for(members[0].user)
    assert member.get(urls["close"]).status_code == 403
    assert member.post(urls["close"]).status_code == 403
    assert member.post(urls["defer"], payload).status_code == 403
    investigator = client_for(pi)
    assert investigator.get(urls["close"]).status_code == 404
    assert investigator.post(urls["defer"], payload).status_code == 404
    assert client_for(None).get(urls["close"]).url.startswith("/accounts/login/")
    assert client_for(secretariat).get(urls["close"]).status_code == 200
    meeting.refresh_from_db()
    item.refresh_from_db()
    assert meeting.status == Meeting.Status.HELD
    assert not item.is_deferred


def test_a_narrative_posted_after_the_meeting_closed_is_refused_and_the_text_kept_on_screen(
    client_for, pi, secretariat
):
    committee, _members, meeting, _first, _second = closed_meeting(pi, secretariat)
    response = client_for(secretariat).post(
        page_urls(committee, meeting)["minutes"], {"minutes-narrative": "Typed in a stale tab."}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "The minutes were not saved." in page
    assert "This meeting is closed" in page
    assert "Typed in a stale tab." in page
    meeting.refresh_from_db()
    assert meeting.minutes_narrative == ""


def test_votes_and_decisions_posted_to_a_closed_meeting_are_refused_with_a_message(client_for, pi, secretariat):
    committee, members, meeting, _first, second = closed_meeting(pi, secretariat)
    urls = page_urls(committee, meeting, second)
    vote_url = reverse("committees:vote", args=[committee.pk, meeting.pk, second.pk])
    response = client_for(members[0].user).post(vote_url, {"vote-choice": "for"})
    assert response.status_code == 200
    assert "Your vote was not recorded." in response.content.decode()
    assert "This meeting is closed" in response.content.decode()
    decide_url = reverse("committees:item_decide", args=[committee.pk, meeting.pk, second.pk])
    response = client_for(secretariat).post(decide_url, {"decide-outcome": "approve", "decide-reasons": "Fine."})
    assert response.status_code == 200
    assert "The decision was not recorded." in response.content.decode()
    item_page = client_for(secretariat).get(urls["item"]).content.decode()
    assert 'id="deferred"' in item_page
    assert 'id="vote-form"' not in item_page


# --- the conflicted member's view of the minutes (JP-ERC-07, JP-ERC-08, US-IRB-03) -------------


def test_a_member_on_the_study_sees_the_item_and_its_decision_in_the_minutes_but_not_its_votes_jp_erc_07(
    client_for, pi, secretariat
):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    put_on_team(members[5], item)
    vote_all(item, members[:5], ["for", "for", "for", "against", "abstain"])
    meeting_services.item_decide(
        item=item, by=secretariat, outcome="not_approved", reasons="The risks outweigh the benefit.", conditions=()
    )
    minutes_url = page_urls(committee, meeting)["minutes"]
    conflicted = client_for(members[5].user).get(minutes_url).content.decode()
    assert str(item.submission.protocol) in conflicted
    assert "Not approved" in conflicted
    assert "The risks outweigh the benefit." in conflicted
    assert "For 3" not in conflicted
    assert "against 1" not in conflicted
    assert "You were kept out of this item (JP-ERC-07)" in conflicted
    other = client_for(members[0].user).get(minutes_url).content.decode()
    assert "For 3 · against 1 · abstain 1" in other


def test_a_member_with_a_declared_conflict_does_not_see_the_votes_in_the_minutes_us_irb_03(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat, rule_set="US")
    declare_conflict(members[5], item)
    vote_all(item, members[:2], ["for", "against"])
    minutes_url = page_urls(committee, meeting)["minutes"]
    conflicted = client_for(members[5].user).get(minutes_url).content.decode()
    assert "You were kept out of this item (US-IRB-03)" in conflicted
    assert "For 1 · against 1" not in conflicted
    # The recusal the secretariat records hides the votes too.
    other_item = meeting_services.agenda_add(
        meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat)
    )
    meeting_services.recusal_add(
        item=other_item, by=secretariat, membership=members[0], reason="Former student of the PI."
    )
    recused = client_for(members[0].user).get(minutes_url).content.decode()
    assert "You were recused from this item: its votes and discussion are not shown to you." in recused
    assert "For 1 · against 1 · abstain 0" in recused  # the first item, where they are not conflicted


def test_before_the_attendance_a_member_is_asked_to_attend_and_vote_not_to_record_it(client_for, pi, secretariat):
    committee, members = make_committee(SIX)
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(hours=1), location="Room 1"
    )
    meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat))
    member_page = client_for(members[0].user).get(page_urls(committee, meeting)["detail"]).content.decode()
    assert "Attend the meeting and vote on each item on its page" in member_page
    assert "Record who attended" not in member_page
    office_page = client_for(secretariat).get(page_urls(committee, meeting)["detail"]).content.decode()
    assert "Record who attended" in office_page
