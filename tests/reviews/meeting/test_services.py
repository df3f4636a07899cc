"""Meetings: agenda, attendance, recusals, votes and decisions (JP-ERC-06..09, US-IRB-03/04/08)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from research_governance.accounts.models import Role, RoleMembership
from research_governance.audit.models import AuditEvent
from research_governance.committees.models import CommitteeMembership
from research_governance.reviews import services as review_services
from research_governance.reviews.meeting import selectors as meeting_selectors
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import AgendaItem, Decision, Submission, Vote
from tests.committees.support import VALID_ROSTER
from tests.factories import make_complete
from tests.reviews.meeting.support import (
    SIX,
    accepted_full_board,
    declare_conflict,
    meeting_with_item,
    put_on_team,
    vote_all,
)

pytestmark = pytest.mark.django_db


def decide(item, by, outcome="approve", reasons="Sound design.", conditions=()):
    return meeting_services.item_decide(item=item, by=by, outcome=outcome, reasons=reasons, conditions=conditions)


# --- scheduling and agenda ------------------------------------------------------------------


def test_scheduling_and_the_agenda_are_audited(pi, secretariat):
    _committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert [a for a in actions if a.startswith("meeting.")] == [
        "meeting.scheduled",
        "meeting.item_added",
        "meeting.attendance_recorded",
    ]
    assert item.order == 1
    meeting.refresh_from_db()
    assert meeting.status == "held"


def test_only_accepted_full_board_submissions_go_on_the_agenda(pi, secretariat):
    _committee, _members, meeting, item = meeting_with_item(pi, secretariat)
    with pytest.raises(ValidationError, match="already on the agenda"):
        meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=item.submission)
    waiting = review_services.protocol_submit(protocol=make_complete(pi), by=pi)
    with pytest.raises(ValidationError, match="accepted for full-board review"):
        meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=waiting)
    expedited = review_services.submission_accept(submission=waiting, by=secretariat, route="expedited")
    with pytest.raises(ValidationError, match="accepted for full-board review"):
        meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=expedited)


def test_members_and_investigators_cannot_schedule_or_record_attendance(pi, secretariat):
    committee, members, meeting, _item = meeting_with_item(pi, secretariat)
    for person in (members[0].user, pi):
        with pytest.raises(PermissionDenied):
            meeting_services.meeting_schedule(committee=committee, by=person, scheduled_at=meeting.scheduled_at)
        with pytest.raises(PermissionDenied):
            meeting_services.attendance_record(meeting=meeting, by=person, present=members)
        with pytest.raises(PermissionDenied):
            meeting_services.agenda_add(meeting=meeting, by=person, submission=accepted_full_board(pi, secretariat))


# --- quorum (JP-ERC-06..08) -----------------------------------------------------------------


def test_a_meeting_without_quorum_cannot_decide_jp_erc_06(pi, secretariat):
    # The two general-public members stay away: those present lack category (c) (JP-ERC-01).
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat, present=[0, 1, 2, 4])
    quorum = meeting_selectors.quorum_for_item(item)
    assert quorum["valid"] is False
    assert quorum["failing_rule_ids"] == ["JP-ERC-06"]
    vote_all(item, members[:3], ["for", "for", "for"])
    for outcome in ("approve", "not_approved", "revise"):
        with pytest.raises(ValidationError, match="JP-ERC-06"):
            decide(item, secretariat, outcome=outcome)
    item.refresh_from_db()
    assert item.outcome == ""
    assert not AuditEvent.objects.filter(action="meeting.item_decided").exists()


def test_a_conflicted_member_is_not_counted_and_cannot_vote_jp_erc_07(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    put_on_team(members[3], item)
    quorum = meeting_selectors.quorum_for_item(item)
    # Five of six are counted and still meet JP-ERC-01..05 (the other general-public member stays).
    assert quorum["valid"] is True
    assert quorum["excluded_ids"] == [members[3].pk]
    assert quorum["conflicts"][members[3].pk].rule_id == "JP-ERC-07"
    with pytest.raises(PermissionDenied):
        meeting_services.vote_cast(item=item, by=members[3].user, choice="for")
    assert not Vote.objects.exists()


def test_with_five_members_one_investigator_on_the_study_breaks_quorum_jp_erc_07(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat, roster=VALID_ROSTER)
    assert meeting_selectors.quorum_for_item(item)["valid"] is True
    put_on_team(members[0], item)
    quorum = meeting_selectors.quorum_for_item(item)
    assert quorum["valid"] is False
    assert quorum["failing_rule_ids"] == ["JP-ERC-06"]
    with pytest.raises(ValidationError, match="JP-ERC-06"):
        decide(item, secretariat, outcome="revise")


def test_the_pi_sitting_on_the_committee_is_recused_jp_erc_08(pi, secretariat):
    committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    seat = CommitteeMembership.objects.create(
        committee=committee, user=pi, category="natural_science", sex="male", valid_from=members[0].valid_from
    )
    conflict = meeting_selectors.item_conflicts(item, [seat])[seat.pk]
    assert conflict.rule_id == "JP-ERC-08"


def test_a_recorded_recusal_excludes_the_member_and_is_audited(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    with pytest.raises(ValidationError):
        meeting_services.recusal_add(item=item, by=secretariat, membership=members[0], reason="  ")
    meeting_services.recusal_add(item=item, by=secretariat, membership=members[0], reason="Former supervisor of the PI")
    quorum = meeting_selectors.quorum_for_item(item)
    assert members[0].pk in quorum["excluded_ids"]
    assert quorum["conflicts"][members[0].pk].recorded is True
    with pytest.raises(PermissionDenied):
        meeting_services.vote_cast(item=item, by=members[0].user, choice="for")
    assert AuditEvent.objects.filter(action="meeting.recusal_recorded").count() == 1


def test_absent_members_cannot_vote_and_one_vote_per_member(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat, present=[0, 1, 2, 3, 4])
    with pytest.raises(ValidationError, match="present"):
        meeting_services.vote_cast(item=item, by=members[5].user, choice="for")
    meeting_services.vote_cast(item=item, by=members[0].user, choice="for")
    with pytest.raises(ValidationError, match="already voted"):
        meeting_services.vote_cast(item=item, by=members[0].user, choice="against")
    assert meeting_selectors.tally_of(item) == {"for": 1, "against": 0, "abstain": 0}
    event = AuditEvent.objects.get(action="review.vote_cast")
    assert event.data["choice"] == "for"
    with pytest.raises(PermissionDenied):
        meeting_services.vote_cast(item=item, by=pi, choice="for")
    with pytest.raises(PermissionDenied):
        meeting_services.vote_cast(item=item, by=secretariat, choice="for")


def test_attendance_is_fixed_once_votes_are_cast(pi, secretariat):
    _committee, members, meeting, item = meeting_with_item(pi, secretariat)
    meeting_services.vote_cast(item=item, by=members[0].user, choice="for")
    with pytest.raises(ValidationError, match="attendance"):
        meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members[:2])


# --- US committee (US-IRB-03/04) ------------------------------------------------------------


def test_a_declared_conflict_is_not_counted_under_a_us_committee_us_irb_03_us_irb_04(pi, secretariat):
    # Of six, four present: a majority (US-IRB-04), with nonscientists among them.
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat, rule_set="US", present=[0, 2, 3, 5])
    assert meeting_selectors.quorum_for_item(item)["valid"] is True
    declare_conflict(members[3], item)
    quorum = meeting_selectors.quorum_for_item(item)
    assert quorum["excluded_ids"] == [members[3].pk]
    assert quorum["conflicts"][members[3].pk].rule_id == "US-IRB-03"
    # Three of six counted is no majority of the members.
    assert quorum["valid"] is False
    assert quorum["failing_rule_ids"] == ["US-IRB-04"]
    with pytest.raises(PermissionDenied):
        meeting_services.vote_cast(item=item, by=members[3].user, choice="for")
    with pytest.raises(ValidationError, match="US-IRB-04"):
        decide(item, secretariat, outcome="revise")


def test_us_approval_needs_a_majority_of_those_present_us_irb_04(pi, secretariat):
    # Majority of the votes cast (2 of 3) but not of the five members present and counted.
    _committee, members, _meeting, item = meeting_with_item(
        pi, secretariat, rule_set="US", decision_rule="majority", present=[0, 1, 2, 3, 4]
    )
    vote_all(item, members, ["for", "for", "against"])
    with pytest.raises(ValidationError, match="US-IRB-04"):
        decide(item, secretariat)
    meeting_services.vote_cast(item=item, by=members[3].user, choice="for")
    assert decide(item, secretariat).outcome == "approve"


# --- decision rules (JP-ERC-09) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "choices", "carried"),
    [
        ("consensus", ["for", "for", "abstain"], True),
        ("consensus", ["for", "for", "for", "for", "against"], False),
        ("consensus", ["abstain", "abstain"], False),
        ("majority", ["for", "for", "against"], True),
        ("majority", ["for", "against"], False),
        ("majority", ["for", "for", "against", "abstain"], False),
        ("two_thirds", ["for", "for", "against"], True),
        ("two_thirds", ["for", "for", "against", "abstain"], False),
        ("two_thirds", ["for", "for", "for", "for", "against", "abstain"], True),
    ],
)
def test_decision_rules_consensus_majority_two_thirds_jp_erc_09(pi, secretariat, rule, choices, carried):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat, decision_rule=rule)
    vote_all(item, members, choices)
    if carried:
        decided = decide(item, secretariat)
        assert decided.outcome == "approve"
        assert decided.tally["for"] == choices.count("for")
        assert decided.tally["decision_rule"] == rule
    else:
        with pytest.raises(ValidationError, match="JP-ERC-09"):
            decide(item, secretariat)


def test_a_conclusion_that_does_not_approve_is_recorded_with_the_tally(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    vote_all(item, members, ["for", "against", "against"])
    decided = decide(item, secretariat, outcome="revise", reasons="Consent form unclear.")
    assert decided.outcome == "revise"
    assert decided.tally["against"] == 2
    event = AuditEvent.objects.get(action="meeting.item_decided")
    assert event.data["votes"] == {"for": 1, "against": 2, "abstain": 0}
    with pytest.raises(ValidationError, match="already been decided"):
        decide(item, secretariat, outcome="not_approved")
    with pytest.raises(ValidationError, match="already been decided"):
        meeting_services.vote_cast(item=item, by=members[3].user, choice="for")


def test_approval_with_conditions_needs_conditions_and_reasons(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    vote_all(item, members, ["for"])
    with pytest.raises(ValidationError):
        decide(item, secretariat, outcome="approve_with_conditions")
    with pytest.raises(ValidationError):
        decide(item, secretariat, reasons=" ")
    decided = decide(item, secretariat, outcome="approve_with_conditions", conditions=["Revise consent", " "])
    assert decided.conditions == ["Revise consent"]


def test_the_chair_may_decide_other_members_may_not(pi, secretariat):
    committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    members[0].role = "chair"
    members[0].save()
    RoleMembership.objects.create(user=members[0].user, institution=committee.institution, role=Role.CHAIR)
    vote_all(item, members, ["for", "for"])
    with pytest.raises(PermissionDenied):
        decide(item, members[1].user)
    assert decide(item, members[0].user).decided_by == members[0].user
    assert Decision.objects.get(submission=item.submission).decided_by == members[0].user


def test_the_item_decision_records_the_committee_s_decision_with_the_item_and_the_votes(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    vote_all(item, members, ["for", "for"])
    decide(item, secretariat, outcome="approve", reasons="Fine.")
    decision = Decision.objects.get(submission=item.submission)
    assert decision.meeting_item_id == item.pk
    assert decision.votes == {"for": 2, "against": 0, "abstain": 0}
    assert decision.outcome == "approve"
    assert decision.route == "full_board"
    assert decision.reasons == "Fine."
    assert Submission.objects.get(pk=item.submission_id).status == "decided"


def test_a_refusal_by_decision_record_rolls_back_the_meeting_side(pi, secretariat):
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    vote_all(item, members, ["for"])
    # The meeting side takes any outcome; an initial application cannot be "acknowledged", so
    # decision_record refuses it, and with it the whole item decision.
    with pytest.raises(ValidationError, match="not a decision on"):
        decide(item, secretariat, outcome="acknowledge")
    assert AgendaItem.objects.get(pk=item.pk).outcome == ""
    assert not Decision.objects.filter(submission=item.submission).exists()
    assert not AuditEvent.objects.filter(action="meeting.item_decided").exists()


def test_six_member_roster_is_the_one_the_tests_rely_on():
    assert len(SIX) == 6
