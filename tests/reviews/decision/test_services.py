"""Decisions, conditions, the head's permission and the approval: JP-ERC-10 (expedited result
reported to all members), JP-ERC-13 (opinion, then the head's permission), US-IRB-05 (an
expedited review cannot disapprove), US-R-01 (a sign-off shows printed name, time and meaning)."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.models import Approval, Permission
from research_governance.reviews.services import add_months
from research_governance.reviews.workflow import ApprovalStatus, SubmissionStatus, TransitionRefused
from tests.factories import PASSWORD, UserFactory

from ..decisions_support import accepted, make_committee, seat


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def chair(db):
    return UserFactory(email="chair@test.example", name_latin="Chloe Chair", roles=[Role.CHAIR])


@pytest.fixture
def head(db):
    return UserFactory(email="head@test.example", name_latin="Hiro Head", roles=[Role.HEAD])


def approve_with_conditions(submission, by):
    return services.decision_record(
        submission=submission,
        by=by,
        outcome="approve_with_conditions",
        reasons="Sound design.",
        conditions=["Add the hotline to the consent form.", "", "Report enrolment at six months."],
    )


@pytest.mark.django_db
def test_an_expedited_approval_under_jp_awaits_the_heads_permission_jp_erc_13(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.DECIDED
    assert decision.route == "expedited"
    assert submission.protocol.status == ProtocolStatus.AWAITING_PERMISSION
    assert not Approval.objects.exists()
    event = AuditEvent.objects.get(action="decision.recorded")
    assert event.data["outcome"] == "approve"
    assert event.data["rule_set"] == "JP"
    notification = Notification.objects.get(kind="decision.recorded", recipient=pi)
    assert notification.params["decision"]["en"] == "Approve"


@pytest.mark.django_db
def test_an_expedited_result_is_reported_to_every_committee_member_jp_erc_10(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    others = [seat(committee) for _ in range(3)]
    services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    told = set(Notification.objects.filter(kind="decision.recorded").values_list("recipient_id", flat=True))
    members = {user.pk for user in others} | {a.reviewer_id for a in submission.assignments.all()}
    assert members <= told
    assert pi.pk in told


@pytest.mark.django_db
def test_an_expedited_decision_needs_a_submitted_review(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee, reviewed=False)
    with pytest.raises(TransitionRefused, match="at least one reviewer"):
        services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="")


@pytest.mark.django_db
def test_an_expedited_review_cannot_disapprove_under_the_us_rule_set_us_irb_05(pi, secretariat):
    committee = make_committee("US")
    submission = accepted(pi, secretariat, committee)
    with pytest.raises(TransitionRefused, match="US-IRB-05"):
        services.decision_record(submission=submission, by=secretariat, outcome="not_approved", reasons="No.")
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ACCEPTED


@pytest.mark.django_db
def test_an_expedited_review_may_disapprove_under_the_jp_rule_set(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    services.decision_record(submission=submission, by=secretariat, outcome="not_approved", reasons="No.")
    submission.protocol.refresh_from_db()
    assert submission.protocol.status == ProtocolStatus.NOT_APPROVED


@pytest.mark.django_db
def test_a_us_approval_is_the_approval_at_once_with_its_conditions_tracked(pi, secretariat):
    committee = make_committee("US")
    submission = accepted(pi, secretariat, committee)
    decision = approve_with_conditions(submission, secretariat)
    submission.protocol.refresh_from_db()
    assert submission.protocol.status == ProtocolStatus.APPROVED
    approval = Approval.objects.get()
    assert approval.decision == decision
    assert approval.status == ApprovalStatus.ACTIVE
    assert approval.reference == f"A-{submission.protocol.reference}-1"
    assert approval.valid_until == add_months(approval.valid_from, 12)
    assert decision.conditions.count() == 2


@pytest.mark.django_db
def test_a_full_board_decision_is_refused_without_the_agenda_item_and_the_votes(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee, route="full_board", reviewed=False)
    with pytest.raises(TransitionRefused, match="at a meeting"):
        services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="")
    with pytest.raises(TransitionRefused):
        services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="", votes={})
    decision = services.decision_record(
        submission=submission,
        by=secretariat,
        outcome="not_approved",
        reasons="Risks outweigh benefits.",
        meeting_item_id=42,
        votes={"for": 1, "against": 6, "abstain": 0},
    )
    assert decision.meeting_item_id == 42
    assert decision.votes == {"for": 1, "against": 6, "abstain": 0}
    # The convened board is not told again: only the applicants are notified.
    assert set(Notification.objects.filter(kind="decision.recorded").values_list("recipient_id", flat=True)) == {pi.pk}


@pytest.mark.django_db
def test_full_board_votes_must_count_for_against_and_abstain(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee, route="full_board", reviewed=False)
    with pytest.raises(ValidationError):
        services.decision_record(
            submission=submission, by=secretariat, outcome="approve", reasons="", meeting_item_id=1, votes={"for": 3}
        )


@pytest.mark.django_db
def test_conditions_belong_only_to_an_approval_with_conditions(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    with pytest.raises(ValidationError, match="at least one condition"):
        services.decision_record(
            submission=submission, by=secretariat, outcome="approve_with_conditions", reasons="", conditions=[" "]
        )
    with pytest.raises(ValidationError, match="Only an approval with conditions"):
        services.decision_record(
            submission=submission, by=secretariat, outcome="approve", reasons="", conditions=["Something"]
        )


@pytest.mark.django_db
def test_only_the_secretariat_or_the_chair_records_a_decision(pi, secretariat, committee, chair, head):
    submission = accepted(pi, secretariat, committee)
    with pytest.raises(TransitionRefused, match="not allowed"):
        services.decision_record(submission=submission, by=head, outcome="approve", reasons="")
    with pytest.raises(TransitionRefused, match="not allowed"):
        services.decision_record(submission=submission, by=pi, outcome="approve", reasons="")
    decision = services.decision_record(submission=submission, by=chair, outcome="approve", reasons="")
    assert decision.decided_by == chair
    with pytest.raises(TransitionRefused):
        services.decision_record(submission=submission, by=chair, outcome="approve", reasons="")


@pytest.mark.django_db
def test_a_chair_of_another_institution_is_not_the_chair_here(pi, secretariat, committee):
    from tests.factories import InstitutionFactory

    elsewhere = UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.CHAIR])
    submission = accepted(pi, secretariat, committee)
    with pytest.raises(PermissionDenied):
        services.decision_record(submission=submission, by=elsewhere, outcome="approve", reasons="")


@pytest.mark.django_db
def test_conditions_are_answered_then_signed_off_with_name_time_and_meaning_us_r_01(pi, secretariat, committee, chair):
    decision = approve_with_conditions(accepted(pi, secretariat, committee), secretariat)
    first, second = decision.conditions.order_by("number")
    with pytest.raises(TransitionRefused):
        services.condition_sign_off(condition=first, by=chair, meaning="approval", password=PASSWORD)
    with pytest.raises(TransitionRefused, match="not allowed"):
        services.condition_answer(condition=first, by=chair, response="I answer for them")
    services.condition_answer(condition=first, by=pi, response="Added on page 3.")
    with pytest.raises(ValidationError):
        services.condition_sign_off(condition=first, by=chair, meaning="because", password=PASSWORD)
    # US-R-01: a non-biometric signature has two components; the password is the second.
    with pytest.raises(ValidationError, match="password is not correct"):
        services.condition_sign_off(condition=first, by=chair, meaning="approval", password="not-mine")
    first.refresh_from_db()
    assert first.signed_off_at is None
    signed = services.condition_sign_off(condition=first, by=chair, meaning="approval", password=PASSWORD)
    assert signed.signature_name == chair.display_name
    assert signed.signature_meaning == "approval"
    assert signed.signed_off_by == chair
    assert signed.signed_off_at is not None
    event = AuditEvent.objects.get(action="condition.signed_off")
    assert event.data["signature_name"] == chair.display_name
    assert event.data["signature_meaning"] == "approval"
    assert event.data["signature_components"] == ["signed-in user", "password"]
    with pytest.raises(TransitionRefused, match="signed off"):
        services.condition_answer(condition=first, by=pi, response="Changed my mind")
    assert second.state == "open"


@pytest.mark.django_db
def test_the_head_permits_only_when_every_condition_is_signed_off_jp_erc_13(pi, secretariat, committee, head):
    decision = approve_with_conditions(accepted(pi, secretariat, committee), secretariat)
    first, second = decision.conditions.order_by("number")
    services.condition_answer(condition=first, by=pi, response="Done.")
    services.condition_sign_off(condition=first, by=secretariat, meaning="review", password=PASSWORD)
    with pytest.raises(TransitionRefused, match="not yet signed off: 2"):
        services.head_permit(decision=decision, by=head)
    services.condition_answer(condition=second, by=pi, response="Will do.")
    services.condition_sign_off(condition=second, by=secretariat, meaning="review", password=PASSWORD)
    with pytest.raises(TransitionRefused, match="not allowed"):
        services.head_permit(decision=decision, by=secretariat)
    permission = services.head_permit(decision=decision, by=head, reasons="")
    assert permission.granted
    protocol = decision.submission.protocol
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.APPROVED
    approval = Approval.objects.get(decision=decision)
    assert approval.status == ApprovalStatus.ACTIVE
    assert AuditEvent.objects.filter(action="permission.granted").exists()
    assert AuditEvent.objects.filter(action="approval.issued").exists()
    assert Notification.objects.filter(kind="permission.granted", recipient=pi).exists()
    with pytest.raises(TransitionRefused):
        services.head_permit(decision=decision, by=head)


@pytest.mark.django_db
@override_settings(APPROVAL_VALIDITY_MONTHS=24)
def test_the_approval_period_is_the_decisions_or_the_institutions_default(pi, secretariat, committee, head):
    submission = accepted(pi, secretariat, committee)
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="")
    services.head_permit(decision=decision, by=head)
    approval = Approval.objects.get()
    assert approval.valid_until == add_months(approval.valid_from, 24)


@pytest.mark.django_db
def test_the_head_refuses_with_reasons_and_the_study_is_not_permitted(pi, secretariat, committee, head):
    decision = services.decision_record(
        submission=accepted(pi, secretariat, committee), by=secretariat, outcome="approve", reasons=""
    )
    with pytest.raises(ValidationError):
        services.head_refuse(decision=decision, by=head, reasons=" ")
    permission = services.head_refuse(decision=decision, by=head, reasons="No budget for the safety monitoring.")
    assert not permission.granted
    protocol = decision.submission.protocol
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.NOT_PERMITTED
    assert not Approval.objects.exists()
    assert Notification.objects.filter(kind="permission.refused", recipient=pi).exists()


@pytest.mark.django_db
def test_revise_returns_the_application_and_the_resubmission_is_round_two_linked_to_the_decision(
    pi, secretariat, committee
):
    submission = accepted(pi, secretariat, committee)
    services.decision_record(submission=submission, by=secretariat, outcome="revise", reasons="Clarify the risks.")
    protocol = submission.protocol
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.RETURNED
    assert protocol.is_editable
    protocol_services.protocol_update_draft(
        protocol=protocol, by=pi, data={"target_participants": 90}, lock_version=protocol.lock_version
    )
    second = services.protocol_submit(protocol=protocol, by=pi)
    assert second.round == 2
    assert second.previous == submission
    assert second.version.number == 2


@pytest.mark.django_db
def test_not_applicable_closes_the_question(pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    services.decision_record(submission=submission, by=secretariat, outcome="not_applicable", reasons="Not research.")
    submission.protocol.refresh_from_db()
    assert submission.protocol.status == ProtocolStatus.NOT_APPLICABLE


@pytest.mark.django_db
def test_an_approval_is_suspended_then_closed_by_the_chair_with_reasons(pi, secretariat, committee, chair, head):
    decision = services.decision_record(
        submission=accepted(pi, secretariat, committee), by=secretariat, outcome="approve", reasons=""
    )
    services.head_permit(decision=decision, by=head)
    approval = Approval.objects.get()
    with pytest.raises(TransitionRefused, match="not allowed"):
        services.approval_suspend(approval=approval, by=pi, reasons="Because")
    with pytest.raises(ValidationError):
        services.approval_suspend(approval=approval, by=chair, reasons="")
    services.approval_suspend(approval=approval, by=chair, reasons="Serious adverse event under investigation.")
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.SUSPENDED
    assert Permission.objects.get().granted
    protocol = approval.protocol
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.SUSPENDED
    with pytest.raises(TransitionRefused):
        services.approval_suspend(approval=approval, by=chair, reasons="Again")
    services.approval_close(approval=approval, by=secretariat, reasons="Study ended.")
    approval.refresh_from_db()
    protocol.refresh_from_db()
    assert approval.status == ApprovalStatus.CLOSED
    assert protocol.status == ProtocolStatus.CLOSED
    assert [
        e.data["to"]
        for e in AuditEvent.objects.filter(action__startswith="approval.", target_type="reviews.approval")
        .exclude(action="approval.issued")
        .order_by("id")
    ] == ["suspended", "closed"]


def test_months_are_added_to_the_last_day_of_a_short_month():
    from datetime import date

    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 15), 12) == date(2028, 11, 15)
