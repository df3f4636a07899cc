"""Meeting pages: who may see and do what; quorum, votes and minutes as shown (JP-ERC-06/07, US-IRB-08)."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import AgendaItem, Meeting, Vote
from tests.reviews.meeting.support import SIX, meeting_with_item, put_on_team, vote_all

pytestmark = pytest.mark.django_db


def urls(committee, meeting, item):
    return {
        "list": reverse("committees:meeting_list", args=[committee.pk]),
        "detail": reverse("committees:meeting_detail", args=[committee.pk, meeting.pk]),
        "item": reverse("committees:item", args=[committee.pk, meeting.pk, item.pk]),
        "minutes": reverse("committees:minutes", args=[committee.pk, meeting.pk]),
    }


def test_secretariat_schedules_a_meeting_and_bad_input_is_kept(client_for, pi, secretariat):
    committee, _members, _meeting, _item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    url = reverse("committees:meeting_schedule", args=[committee.pk])
    page = client.post(url, {"meeting-scheduled_at": "not a date", "meeting-location": "Room 7"}).content.decode()
    assert 'value="Room 7"' in page
    response = client.post(url, {"meeting-scheduled_at": "2031-05-01T14:00", "meeting-location": "Room 7"})
    assert response.status_code == 302
    assert Meeting.objects.filter(location="Room 7").exists()


@pytest.mark.parametrize("page", ["list", "detail", "item", "minutes"])
def test_members_and_the_secretariat_read_investigators_get_404_anonymous_sign_in(client_for, pi, secretariat, page):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    url = urls(committee, meeting, item)[page]
    assert client_for(secretariat).get(url).status_code == 200
    assert client_for(members[1].user).get(url).status_code == 200
    assert client_for(pi).get(url).status_code == 404
    assert client_for(None).get(url).url.startswith("/accounts/login/")


def test_a_conflicted_member_gets_404_on_the_item_and_cannot_vote_jp_erc_07(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    put_on_team(members[3], item)
    client = client_for(members[3].user)
    assert client.get(urls(committee, meeting, item)["item"]).status_code == 404
    vote_url = reverse("committees:vote", args=[committee.pk, meeting.pk, item.pk])
    assert client.post(vote_url, {"vote-choice": "for"}).status_code == 404
    assert not Vote.objects.exists()
    detail = client.get(urls(committee, meeting, item)["detail"]).content.decode()
    assert "You are recused from this item" in detail


def test_a_member_votes_on_the_item_page(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    client = client_for(members[0].user)
    page = client.get(urls(committee, meeting, item)["item"]).content.decode()
    assert 'id="vote-form"' in page
    assert 'id="decide-form"' not in page
    vote_url = reverse("committees:vote", args=[committee.pk, meeting.pk, item.pk])
    assert client.post(vote_url, {"vote-choice": "against"}).status_code == 302
    page = client.get(urls(committee, meeting, item)["item"]).content.decode()
    assert "For 0 · against 1 · abstain 0" in page
    assert 'id="vote-form"' not in page
    # The secretariat does not sit on the committee and cannot vote.
    assert client_for(secretariat).post(vote_url, {"vote-choice": "for"}).status_code == 403


def test_the_decide_form_is_disabled_with_the_reason_without_quorum_jp_erc_06(client_for, pi, secretariat):
    committee, _members, meeting, item = meeting_with_item(pi, secretariat, present=[0, 1, 2, 4])
    client = client_for(secretariat)
    page = client.get(urls(committee, meeting, item)["item"]).content.decode()
    assert 'id="decide-blocked"' in page
    assert "<fieldset disabled>" in page
    assert "JP-ERC-06" in page
    detail = client.get(urls(committee, meeting, item)["detail"]).content.decode()
    assert "No quorum" in detail.split(f'id="item-{item.pk}"', 1)[1]
    decide_url = reverse("committees:item_decide", args=[committee.pk, meeting.pk, item.pk])
    page = client.post(decide_url, {"decide-outcome": "revise", "decide-reasons": "Keep me"}).content.decode()
    assert "JP-ERC-06" in page
    assert "Keep me" in page
    assert AgendaItem.objects.get(pk=item.pk).outcome == ""


def test_an_approval_the_votes_do_not_carry_is_refused_and_the_input_kept(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat, decision_rule="consensus")
    vote_all(item, members, ["for", "against"])
    decide_url = reverse("committees:item_decide", args=[committee.pk, meeting.pk, item.pk])
    page = (
        client_for(secretariat)
        .post(decide_url, {"decide-outcome": "approve", "decide-reasons": "Good study"})
        .content.decode()
    )
    assert "JP-ERC-09" in page
    assert "Good study" in page
    assert client_for(members[1].user).post(decide_url, {"decide-outcome": "revise"}).status_code == 403


def test_the_minutes_show_the_recorded_facts_and_the_narrative_is_editable_us_irb_08(client_for, pi, secretariat):
    seven = [*SIX, ("natural_science", False, "male")]
    committee, members, meeting, item = meeting_with_item(pi, secretariat, roster=seven, present=[0, 1, 2, 3, 4, 5])
    meeting_services.recusal_add(item=item, by=secretariat, membership=members[4], reason="Works with the PI")
    vote_all(item, members[:3], ["for", "for", "abstain"])
    meeting_services.item_decide(item=item, by=secretariat, outcome="revise", reasons="Clarify the consent form.")
    client = client_for(secretariat)
    url = urls(committee, meeting, item)["minutes"]
    page = client.get(url).content.decode()
    attendance = page.split('id="minutes-attendance"', 1)[1].split("</section>", 1)[0]
    assert members[0].user.display_name in attendance.split("Absent")[0]
    assert members[6].user.display_name in attendance.split("Absent")[1]
    facts = page.split(f'id="minutes-item-{item.pk}"', 1)[1].split("</article>", 1)[0]
    assert "For 2 · against 0 · abstain 1" in facts
    assert "Works with the PI" in facts
    assert "Revise and resubmit" in facts
    assert "Clarify the consent form." in facts
    assert client.post(url, {"minutes-narrative": "The committee discussed risks."}).status_code == 302
    meeting.refresh_from_db()
    assert meeting.minutes_narrative == "The committee discussed risks."
    member_page = client_for(members[0].user).get(url).content.decode()
    assert 'id="minutes-form"' not in member_page
    assert "The committee discussed risks." in member_page
    assert client_for(members[0].user).post(url, {"minutes-narrative": "x"}).status_code == 403


def test_the_secretariat_records_attendance_and_adds_to_the_agenda(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    url = reverse("committees:attendance", args=[committee.pk, meeting.pk])
    assert client.post(url, {"attendance-present": [members[0].pk, members[1].pk]}).status_code == 302
    assert meeting.attendance.filter(present=True).count() == 2
    assert client_for(members[0].user).post(url, {"attendance-present": []}).status_code == 403
    agenda_url = reverse("committees:agenda_add", args=[committee.pk, meeting.pk])
    page = client.post(agenda_url, {"agenda-submission": item.submission.pk}).content.decode()
    assert "not put on the agenda" in page


def test_the_meeting_list_query_count_does_not_grow_with_meetings(client_for, pi, secretariat):
    committee, _members, _meeting, _item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    url = reverse("committees:meeting_list", args=[committee.pk])
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for days in range(1, 6):
        meeting_services.meeting_schedule(
            committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(days=days)
        )
    with CaptureQueriesContext(connection) as six:
        page = client.get(url).content.decode()
    assert page.count(f"committees/{committee.pk}/meetings/") >= 6
    assert len(six) == len(one)


@pytest.mark.django_db
def test_members_read_the_submitted_reviews_with_their_checklist_on_the_item_page(client_for, pi, secretariat):
    """The reviewers' discussion reaches the unconflicted members at the meeting; a conflicted
    member gets 404 on this page (see test_view_permissions)."""
    from research_governance.reviews import services as review_services
    from tests.reviews.test_lifecycle import review

    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    assignment = review_services.reviewer_assign(
        submission=item.submission,
        by=secretariat,
        reviewer=members[1].user,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    review(assignment, members[1].user, "approve_with_conditions")
    page = (
        client_for(members[2].user)
        .get(reverse("committees:item", args=[committee.pk, meeting.pk, item.pk]))
        .content.decode()
    )
    assert 'id="submitted-reviews"' in page
    assert members[1].user.display_name in page
    assert "Approve with conditions" in page
    assert "Scientific validity" in page


def test_a_meeting_with_nothing_on_its_agenda_asks_the_secretariat_to_add_and_tells_members_they_will_hear(
    client_for, pi, secretariat
):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    url = urls(committee, meeting, item)["detail"]
    assert "Nothing is on the agenda yet" not in client_for(secretariat).get(url).content.decode()
    meeting_services.agenda_item_remove(item=item, by=secretariat, reason="Put on by mistake.")
    managing = client_for(secretariat).get(url).content.decode()
    assert "Nothing is on the agenda yet: add the submissions to be reviewed at this meeting." in managing
    assert "Record who attended" not in managing
    member = client_for(members[1].user).get(url).content.decode()
    assert "The members are sent the agenda when an item is added." in member
    assert "Attend the meeting and vote" not in member
