"""Every change to a roster or a committee's settings: who may make it, what is refused,
and the audit event with old and new values."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.committees import services
from research_governance.committees.models import Committee, CommitteeMembership
from tests.committees.support import VALID_ROSTER, make_committee
from tests.factories import UserFactory

Category = CommitteeMembership.Category
Seat = CommitteeMembership.Role
TODAY = timezone.localdate


def add(committee, by, user=None, **overrides):
    arguments = {
        "committee": committee,
        "by": by,
        "user": user or UserFactory(roles=[Role.COMMITTEE_MEMBER]),
        "role": Seat.MEMBER,
        "category": Category.GENERAL_PUBLIC,
        "is_external": True,
        "sex": "female",
        "valid_from": TODAY(),
    }
    return services.membership_add(**{**arguments, **overrides})


def events(action):
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


@pytest.fixture
def committee(db):
    return make_committee(VALID_ROSTER)[0]


@pytest.fixture
def member(committee):
    return committee.memberships.select_related("user").order_by("pk").first()


# --- who may change a committee ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["secretariat", "administrator"])
def test_the_secretariat_and_administrators_add_a_member(committee, persona, request):
    actor = request.getfixturevalue(persona)
    user = UserFactory(email="new@test.example")
    membership = add(committee, actor, user, valid_to=TODAY() + timedelta(days=730))
    assert membership.pk is not None
    [event] = events("committee.member_added")
    assert event.actor_id == actor.pk
    assert event.target_type == "committees.committeemembership"
    assert event.target_id == str(membership.pk)
    assert event.data["email"] == "new@test.example"
    assert event.data["committee"] == "erc"
    assert event.data["old"] is None
    assert event.data["new"] == {
        "role": "member",
        "category": "general_public",
        "is_external": True,
        "sex": "female",
        "valid_from": TODAY().isoformat(),
        "valid_to": (TODAY() + timedelta(days=730)).isoformat(),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["member", "pi", "auditor", "reviewer"])
def test_others_may_not_change_a_committee(committee, member, persona, request):
    actor = member.user if persona == "member" else request.getfixturevalue(persona)
    count = CommitteeMembership.objects.count()
    with pytest.raises(PermissionDenied):
        add(committee, actor)
    with pytest.raises(PermissionDenied):
        services.membership_update(membership=member, by=actor, is_external=True)
    with pytest.raises(PermissionDenied):
        services.membership_end(membership=member, by=actor, valid_to=TODAY())
    with pytest.raises(PermissionDenied):
        services.committee_update_settings(committee=committee, by=actor, decision_rule="majority")
    member.refresh_from_db()
    committee.refresh_from_db()
    assert CommitteeMembership.objects.count() == count
    assert (member.is_external, member.valid_to, committee.decision_rule) == (False, None, "consensus")
    assert not AuditEvent.objects.exists()


# --- seats --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_person_holds_one_current_seat_per_committee(committee, member, secretariat):
    with pytest.raises(ValidationError, match="already holds a seat on this committee"):
        add(committee, secretariat, member.user)
    with pytest.raises(ValidationError, match="already holds a seat"):
        add(committee, secretariat, member.user, role=Seat.SECRETARIAT, category="", sex="")
    # A term starting later that would overlap is refused too.
    with pytest.raises(ValidationError, match="already holds a seat"):
        add(committee, secretariat, member.user, valid_from=TODAY() + timedelta(days=30))
    assert not events("committee.member_added")


@pytest.mark.django_db
def test_the_same_person_may_be_reappointed_after_the_term_ends(committee, member, secretariat):
    services.membership_end(membership=member, by=secretariat, valid_to=TODAY() - timedelta(days=1))
    again = add(committee, secretariat, member.user, role=Seat.VICE_CHAIR, valid_from=TODAY())
    assert CommitteeMembership.objects.filter(committee=committee, user=member.user).count() == 2
    assert again.role == Seat.VICE_CHAIR


@pytest.mark.django_db
def test_a_second_current_chair_is_refused(committee, secretariat):
    first = add(committee, secretariat, role=Seat.CHAIR)
    with pytest.raises(ValidationError) as refused:
        add(committee, secretariat, role=Seat.CHAIR)
    assert "one chair at a time" in refused.value.message_dict["role"][0]
    assert first.user.display_name in refused.value.message_dict["role"][0]
    # Nor can a member be made chair while the chair sits.
    other = committee.memberships.exclude(pk=first.pk).first()
    with pytest.raises(ValidationError, match="one chair at a time"):
        services.membership_update(membership=other, by=secretariat, role=Seat.CHAIR)
    assert CommitteeMembership.objects.filter(committee=committee, role=Seat.CHAIR).count() == 1


@pytest.mark.django_db
def test_the_chair_hands_over_when_one_term_ends_the_day_before_the_next_starts(committee, secretariat):
    handover = TODAY() + timedelta(days=10)
    old_chair = add(committee, secretariat, role=Seat.CHAIR)
    services.membership_end(membership=old_chair, by=secretariat, valid_to=handover - timedelta(days=1))
    new_chair = add(committee, secretariat, role=Seat.CHAIR, valid_from=handover)
    assert new_chair.pk is not None


@pytest.mark.django_db
def test_a_chair_of_another_committee_does_not_count(committee, secretariat):
    other, _ = make_committee([], code="dac")
    add(other, secretariat, role=Seat.CHAIR)
    assert add(committee, secretariat, role=Seat.CHAIR).pk is not None


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Seat.CHAIR, Seat.VICE_CHAIR, Seat.MEMBER])
def test_a_sitting_seat_needs_a_category_and_a_sex(committee, secretariat, role):
    with pytest.raises(ValidationError) as refused:
        add(committee, secretariat, role=role, category="", sex="")
    assert set(refused.value.message_dict) == {"category", "sex"}
    assert "JP-ERC-01" in refused.value.message_dict["category"][0]


@pytest.mark.django_db
def test_a_secretariat_seat_needs_neither_category_nor_sex(committee, secretariat):
    seat = add(committee, secretariat, role=Seat.SECRETARIAT, category="", sex="", is_external=False)
    assert seat.role == Seat.SECRETARIAT


@pytest.mark.django_db
def test_a_term_cannot_end_before_it_starts(committee, member, secretariat):
    with pytest.raises(ValidationError) as refused:
        add(committee, secretariat, valid_to=TODAY() - timedelta(days=1))
    assert "valid_to" in refused.value.message_dict
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.membership_update(
            membership=member, by=secretariat, valid_from=TODAY(), valid_to=TODAY() - timedelta(days=1)
        )
    with pytest.raises(ValidationError, match="cannot end before it starts"):
        services.membership_end(membership=member, by=secretariat, valid_to=member.valid_from - timedelta(days=1))


@pytest.mark.django_db
def test_an_unknown_choice_is_refused(committee, secretariat):
    with pytest.raises(ValidationError) as refused:
        add(committee, secretariat, category="astrology")
    assert "category" in refused.value.message_dict


@pytest.mark.django_db
def test_an_inactive_account_cannot_be_seated(committee, secretariat):
    user = UserFactory(is_active=False)
    with pytest.raises(ValidationError, match="not active"):
        add(committee, secretariat, user)


# --- updating and ending ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_update_records_old_and_new_values_of_what_changed(member, secretariat):
    services.membership_update(
        membership=member, by=secretariat, role=Seat.VICE_CHAIR, sex=member.sex, is_external=True
    )
    member.refresh_from_db()
    assert (member.role, member.is_external) == (Seat.VICE_CHAIR, True)
    [event] = events("committee.member_updated")
    assert event.target_id == str(member.pk)
    assert event.data["old"] == {"role": "member", "is_external": False}
    assert event.data["new"] == {"role": "vice_chair", "is_external": True}


@pytest.mark.django_db
def test_an_update_that_changes_nothing_records_nothing(member, secretariat):
    services.membership_update(membership=member, by=secretariat, role=member.role, sex=member.sex)
    assert not events("committee.member_updated")


@pytest.mark.django_db
def test_the_person_and_the_committee_of_a_seat_do_not_change(member, secretariat, pi):
    with pytest.raises(TypeError):
        services.membership_update(membership=member, by=secretariat, user=pi)


@pytest.mark.django_db
def test_ending_a_term_keeps_the_seat_on_record(committee, member, secretariat):
    last_day = TODAY() - timedelta(days=1)
    services.membership_end(membership=member, by=secretariat, valid_to=last_day)
    member.refresh_from_db()
    assert member.valid_to == last_day
    assert CommitteeMembership.objects.filter(pk=member.pk).exists()
    assert not committee.memberships.filter(CommitteeMembership.current_q(), pk=member.pk).exists()
    [event] = events("committee.member_term_ended")
    assert event.data["old"] == {"valid_to": None}
    assert event.data["new"] == {"valid_to": last_day.isoformat()}
    assert event.data["email"] == member.user.email


@pytest.mark.django_db
def test_a_term_ending_today_still_counts_today(committee, member, secretariat):
    services.membership_end(membership=member, by=secretariat, valid_to=TODAY())
    assert committee.memberships.filter(CommitteeMembership.current_q(), pk=member.pk).exists()


@pytest.mark.django_db
def test_ending_a_term_later_than_its_end_is_refused(member, secretariat):
    end = TODAY() + timedelta(days=5)
    services.membership_end(membership=member, by=secretariat, valid_to=end)
    with pytest.raises(ValidationError, match="edit the seat instead"):
        services.membership_end(membership=member, by=secretariat, valid_to=end + timedelta(days=1))
    # Bringing the end forward is allowed.
    services.membership_end(membership=member, by=secretariat, valid_to=TODAY())
    member.refresh_from_db()
    assert member.valid_to == TODAY()
    assert len(events("committee.member_term_ended")) == 2


# --- settings -----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["secretariat", "administrator"])
def test_the_decision_rule_is_a_committee_setting_jp_erc_09(committee, persona, request):
    actor = request.getfixturevalue(persona)
    services.committee_update_settings(committee=committee, by=actor, decision_rule="two_thirds")
    committee.refresh_from_db()
    assert committee.decision_rule == Committee.DecisionRule.TWO_THIRDS
    [event] = events("committee.settings_changed")
    assert event.target_type == "committees.committee"
    assert event.data["old"] == {"decision_rule": "consensus"}
    assert event.data["new"] == {"decision_rule": "two_thirds"}


@pytest.mark.django_db
def test_only_an_administrator_changes_the_rule_set(committee, secretariat, administrator):
    with pytest.raises(PermissionDenied):
        services.committee_update_settings(committee=committee, by=secretariat, decision_rule="majority", rule_set="US")
    committee.refresh_from_db()
    assert (committee.rule_set, committee.decision_rule) == ("JP", "consensus")
    # Passing the current rule set back is not a change, so the secretariat may.
    services.committee_update_settings(committee=committee, by=secretariat, decision_rule="majority", rule_set="JP")
    services.committee_update_settings(committee=committee, by=administrator, decision_rule="majority", rule_set="US")
    committee.refresh_from_db()
    assert (committee.rule_set, committee.decision_rule) == ("US", "majority")
    last = events("committee.settings_changed")[-1]
    assert last.data["old"] == {"rule_set": "JP"}
    assert last.data["new"] == {"rule_set": "US"}


@pytest.mark.django_db
def test_an_unknown_decision_rule_is_refused(committee, secretariat):
    with pytest.raises(ValidationError) as refused:
        services.committee_update_settings(committee=committee, by=secretariat, decision_rule="unanimity")
    assert "decision_rule" in refused.value.message_dict
    assert not events("committee.settings_changed")
