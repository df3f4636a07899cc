import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from research_governance.agreements import services
from research_governance.agreements.models import DataAccessRequest
from research_governance.audit.models import AuditEvent
from research_governance.reviews import services as review_services
from tests.factories import UserFactory

from .support import make_dataset, make_request, request_data


def test_the_pi_registers_a_dataset_under_the_active_approval(approval):
    dataset = make_dataset(approval)
    assert dataset.approval == approval
    assert AuditEvent.objects.filter(action="dataset.registered", target_id=str(dataset.pk)).exists()


def test_another_investigator_cannot_register_a_dataset_of_the_protocol(approval):
    with pytest.raises(PermissionDenied):
        services.dataset_register(protocol=approval.protocol, by=UserFactory(), data={})


def test_no_dataset_is_offered_under_a_suspended_approval(approval, secretariat):
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
    with pytest.raises(ValidationError, match="active ethics approval"):
        make_dataset(approval)


def test_a_submitted_request_gets_a_reference_and_tells_the_committee(dataset, dac):
    requester = UserFactory()
    data_request = make_request(requester, [dataset])
    assert data_request.status == "submitted"
    assert data_request.reference.startswith("DAR-")
    _committee, chair, secretary, _members = dac
    assert set(services.dac_officers(data_request.institution_id)) == {chair, secretary}


def test_an_incomplete_request_is_refused_with_what_it_lacks(dataset):
    requester = UserFactory()
    with pytest.raises(services.RequestIncomplete) as refused:
        make_request(requester, [dataset], security_encryption=False, purpose="")
    assert "Choose the purpose." in refused.value.messages
    assert "Confirm every security measure." in refused.value.messages
    assert DataAccessRequest.objects.get().status == "draft"


def test_only_the_requester_submits(dataset):
    data_request = make_request(UserFactory(), [dataset], submit=False)
    with pytest.raises(PermissionDenied):
        services.request_submit(data_request=data_request, by=UserFactory())


def test_a_renewal_copies_the_request_without_its_term(dataset):
    requester = UserFactory()
    colleague = UserFactory()
    source = make_request(requester, [dataset], team=[colleague])
    copy = services.request_copy(source=source, by=requester)
    assert copy.status == "draft"
    assert copy.renewal_of == source
    assert copy.title == request_data()["title"]
    assert copy.term_end is None
    assert set(copy.team.values_list("user", flat=True)) == {requester.pk, colleague.pk}
    assert list(copy.datasets.all()) == [dataset]
