from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from research_governance.agreements import dac_selectors, dac_services
from research_governance.agreements.models import AccessGrant, RequestConflict, RequestReview
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.reviews import services as review_services
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import UserFactory

from .review_support import decided_request
from .support import make_request


@pytest.fixture
def submitted(dataset, dac):
    return make_request(UserFactory(email="requester@test.example"), [dataset])


def test_an_officer_accepts_a_submitted_request(submitted, dac):
    _committee, _chair, secretary, _others = dac
    accepted = dac_services.request_accept(data_request=submitted, by=secretary)
    assert accepted.status == "accepted"
    assert AuditEvent.objects.filter(action="data_request.accepted", target_id=str(submitted.pk)).exists()


def test_a_member_who_is_not_an_officer_cannot_accept(submitted, dac):
    _committee, _chair, _secretary, others = dac
    with pytest.raises(PermissionDenied):
        dac_services.request_accept(data_request=submitted, by=others[0])


def test_returning_needs_reasons_and_tells_the_requester(submitted, dac):
    _committee, _chair, secretary, _others = dac
    with pytest.raises(ValidationError):
        dac_services.request_return(data_request=submitted, by=secretary, reasons="  ")
    returned = dac_services.request_return(data_request=submitted, by=secretary, reasons="Name the storage server.")
    assert returned.status == "returned"
    assert returned.return_reason == "Name the storage server."
    asked = Notification.objects.get(recipient=submitted.requester, kind="work.waiting")
    assert asked.params["step"]["en"] == "Answer the committee's requests and submit the request again"


def test_an_accepted_request_cannot_be_returned(submitted, dac):
    _committee, _chair, secretary, _others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    with pytest.raises(TransitionRefused):
        dac_services.request_return(data_request=submitted, by=secretary, reasons="Too late.")


def test_an_assigned_reviewer_is_told_and_gets_nothing_but_the_review_row(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])
    assert assignment.due_date == timezone.localdate() + timedelta(days=dac_services.REVIEW_DAYS)
    asked = Notification.objects.get(recipient=others[0], kind="work.waiting")
    assert asked.params["step"]["en"] == "Declare any conflict and review the data-access request"
    assert assignment.due_date.isoformat() in asked.params["due"]["en"]
    assert not AccessGrant.objects.exists()


def test_reviewers_are_assigned_only_once_the_request_is_accepted(submitted, dac):
    _committee, _chair, secretary, others = dac
    with pytest.raises(TransitionRefused):
        dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])


def test_someone_outside_the_committee_cannot_be_assigned(submitted, dac):
    _committee, _chair, secretary, _others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    with pytest.raises(ValidationError, match="not a current member"):
        dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=UserFactory())


def test_a_member_on_the_requesting_team_cannot_be_assigned_jp_erc_07(dataset, dac):
    _committee, _chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset], team=[others[1]])
    dac_services.request_accept(data_request=data_request, by=secretary)
    with pytest.raises(ValidationError, match="JP-ERC-07"):
        dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[1])


def test_a_member_on_the_providing_study_cannot_be_assigned_jp_erc_07(dataset, dac):
    _committee, _chair, secretary, others = dac
    from research_governance.protocols.models import TeamMember

    TeamMember.objects.create(protocol=dataset.protocol, user=others[1], role=TeamMember.Role.CO_INVESTIGATOR)
    data_request = make_request(UserFactory(), [dataset])
    dac_services.request_accept(data_request=data_request, by=secretary)
    with pytest.raises(ValidationError, match="JP-ERC-07"):
        dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[1])


def test_a_member_who_declared_a_conflict_cannot_be_assigned_us_irb_03(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    RequestConflict.objects.create(request=submitted, member=others[1], reason="Friend", declared_at=timezone.now())
    with pytest.raises(ValidationError, match="US-IRB-03"):
        dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[1])


def test_a_reviewer_declaring_a_conflict_loses_the_review_and_the_request_us_irb_03(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])
    dac_services.conflict_declare(data_request=submitted, member=others[0], reason="My former student.")
    # The review stays on record, withdrawn, as an ethics assignment does.
    assert RequestReview.objects.get(reviewer=others[0]).status == "withdrawn"
    from research_governance.agreements.permissions import can_view_request

    assert not can_view_request(others[0], submitted)


def test_an_unassigned_member_cannot_review(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])
    with pytest.raises(PermissionDenied):
        dac_services.review_submit(review=assignment, by=others[1], recommendation="approve", comments="Mine now.")


def test_a_review_needs_a_recommendation_and_comments_and_is_submitted_once(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])
    with pytest.raises(ValidationError) as refused:
        dac_services.review_submit(review=assignment, by=others[0], recommendation="", comments="")
    assert len(refused.value.messages) == 2
    dac_services.review_submit(review=assignment, by=others[0], recommendation="approve", comments="Fine.")
    with pytest.raises(TransitionRefused):
        dac_services.review_submit(review=assignment, by=others[0], recommendation="not_approved", comments="Changed.")


def test_the_decision_waits_for_a_submitted_review(submitted, dac):
    _committee, _chair, secretary, others = dac
    dac_services.request_accept(data_request=submitted, by=secretary)
    dac_services.reviewer_assign(data_request=submitted, by=secretary, reviewer=others[0])
    with pytest.raises(TransitionRefused, match="at least one reviewer"):
        dac_services.decision_record(data_request=submitted, by=secretary, outcome="approve", reasons="Fine.")


def test_an_approval_with_conditions_needs_conditions(dataset, dac):
    with pytest.raises(ValidationError, match="conditions"):
        decided_request(dataset, dac, outcome="approve_with_conditions")


def test_an_approving_decision_creates_the_agreement_awaiting_signatures(dataset, dac):
    data_request = decided_request(dataset, dac)
    agreement = data_request.agreement
    assert data_request.status == "decided"
    assert data_request.outcome == "approve"
    assert agreement.reference == f"DSA-{timezone.localdate():%Y}-{data_request.pk:05d}"
    assert agreement.status == "awaiting_signatures"
    assert agreement.term_start == data_request.term_start
    assert agreement.term_end == data_request.term_end
    assert agreement.destruction_due == data_request.destruction_date
    assert agreement.verification_code
    # The requester is asked to sign: that one notification carries the news.
    told = Notification.objects.filter(recipient=data_request.requester)
    assert [n.params["step"]["en"] for n in told.filter(kind="work.waiting")] == [
        "Sign the agreement for the recipient"
    ]
    assert not told.filter(kind="data_request.decided").exists()


def test_a_refusal_creates_no_agreement(dataset, dac):
    data_request = decided_request(dataset, dac, outcome="not_approved")
    assert not hasattr(data_request, "agreement") or data_request.agreement is None
    # Nothing waits for the requester: they are told the decision.
    assert Notification.objects.filter(recipient=data_request.requester, kind="data_request.decided").exists()
    assert not Notification.objects.filter(recipient=data_request.requester, kind="work.waiting").exists()


def test_the_committee_cannot_approve_what_the_checks_refuse_now(dataset, dac, secretariat):
    """Submitted while the checks passed; the dataset's approval was suspended since (JP-ERC-13)."""
    _committee, _chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    dac_services.request_accept(data_request=data_request, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    dac_services.review_submit(review=assignment, by=others[0], recommendation="approve", comments="Fine.")
    review_services.approval_suspend(approval=dataset.approval, by=secretariat, reasons="Audit finding.")
    with pytest.raises(ValidationError, match="JP-ERC-13"):
        dac_services.decision_record(data_request=data_request, by=secretary, outcome="approve", reasons="Fine.")
    data_request.refresh_from_db()
    assert data_request.status == "accepted"


def test_a_conflicted_officer_cannot_decide_jp_erc_07(dataset, dac):
    _committee, chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset], team=[chair])
    dac_services.request_accept(data_request=data_request, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    dac_services.review_submit(review=assignment, by=others[0], recommendation="approve", comments="Fine.")
    with pytest.raises(PermissionDenied):
        dac_services.decision_record(data_request=data_request, by=chair, outcome="approve", reasons="Mine.")


def test_the_queue_lists_waiting_requests_without_those_the_officer_is_conflicted_on(dataset, dac):
    _committee, chair, secretary, _others = dac
    mine = make_request(UserFactory(), [dataset], team=[chair])
    other = make_request(UserFactory(), [dataset])
    declared = make_request(UserFactory(), [dataset])
    RequestConflict.objects.create(request=declared, member=chair, reason="x", declared_at=timezone.now())
    assert list(dac_selectors.committee_queue(chair)) == [other]
    assert set(dac_selectors.committee_queue(secretary)) == {mine, other, declared}
    assert list(dac_selectors.committee_queue(UserFactory())) == []
