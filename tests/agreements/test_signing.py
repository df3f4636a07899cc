import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from research_governance.agreements import agreement_services, document
from research_governance.agreements.models import AccessGrant, Signature
from research_governance.audit.models import AuditEvent
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import PASSWORD, UserFactory

from .review_support import decided_request


@pytest.fixture
def agreement(dataset, dac):
    return decided_request(dataset, dac).agreement


def test_a_wrong_password_signs_nothing_us_r_01(agreement):
    requester = agreement.request.requester
    with pytest.raises(ValidationError, match="password"):
        agreement_services.agreement_sign(agreement=agreement, by=requester, password="not-my-password")
    assert not Signature.objects.exists()


def test_the_requester_signs_for_the_recipient_with_name_time_and_meaning_us_r_01(agreement):
    requester = agreement.request.requester
    signature = agreement_services.agreement_sign(agreement=agreement, by=requester, password=PASSWORD)
    assert signature.party == "recipient"
    assert signature.printed_name == requester.display_name
    assert signature.signed_at is not None
    assert signature.meaning == "responsibility"
    event = AuditEvent.objects.get(action="agreement.signed")
    assert event.data["signature_components"] == ["signed-in user", "password"]
    agreement.refresh_from_db()
    assert agreement.status == "awaiting_signatures"


def test_a_party_signs_once(agreement):
    requester = agreement.request.requester
    agreement_services.agreement_sign(agreement=agreement, by=requester, password=PASSWORD)
    with pytest.raises(TransitionRefused):
        agreement_services.agreement_sign(agreement=agreement, by=requester, password=PASSWORD)


def test_an_unconflicted_officer_signs_for_the_provider(agreement, dac):
    _committee, chair, _secretary, _others = dac
    signature = agreement_services.agreement_sign(agreement=agreement, by=chair, password=PASSWORD)
    assert signature.party == "provider"
    assert signature.meaning == "approval"


def test_a_member_who_is_not_an_officer_cannot_sign_for_the_provider(agreement, dac):
    _committee, _chair, _secretary, others = dac
    with pytest.raises(PermissionDenied):
        agreement_services.agreement_sign(agreement=agreement, by=others[0], password=PASSWORD)


def test_a_team_member_who_is_not_the_requester_cannot_sign_for_the_recipient(dataset, dac):
    colleague = UserFactory(email="colleague@test.example")
    agreement = decided_request(dataset, dac, team=[colleague]).agreement
    with pytest.raises(PermissionDenied):
        agreement_services.agreement_sign(agreement=agreement, by=colleague, password=PASSWORD)


def test_the_second_signature_activates_the_agreement_and_grants_who_accepted(dataset, dac):
    _committee, chair, _secretary, _others = dac
    colleague = UserFactory(email="colleague@test.example")
    agreement = decided_request(dataset, dac, team=[colleague]).agreement
    requester = agreement.request.requester
    agreement_services.agreement_sign(agreement=agreement, by=chair, password=PASSWORD)
    agreement_services.agreement_sign(agreement=agreement, by=requester, password=PASSWORD)
    agreement.refresh_from_db()
    assert agreement.status == "active"
    assert AuditEvent.objects.filter(action="agreement.activated").exists()
    # The requester's signature is their acceptance; the colleague has not accepted yet.
    assert list(AccessGrant.objects.values_list("user", flat=True)) == [requester.pk]
    grant = AccessGrant.objects.get()
    assert grant.granted_by == chair


def test_the_document_states_the_terms_and_is_stored_with_its_hash(agreement):
    content = document.agreement_content(agreement, language="en")
    assert content.datasets[0]["permission"].startswith("Health")
    assert "Provision within Japan." in content.transfer_basis
    rendered = document.agreement_render(agreement.pk)
    assert rendered.document.name.endswith(".pdf")
    assert len(rendered.document_sha256) == 64
    with rendered.document.open("rb") as stored:
        assert stored.read(5) == b"%PDF-"


def test_the_document_is_rendered_after_the_decision_commits(dataset, dac, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        data_request = decided_request(dataset, dac)
    data_request.agreement.refresh_from_db()
    assert data_request.agreement.document_sha256
