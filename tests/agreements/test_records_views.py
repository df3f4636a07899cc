from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.agreements.models import (
    AccessGrant,
    Agreement,
    DestructionRecord,
    ProvisionRecord,
    RequestConflict,
)
from research_governance.audit.models import AuditEvent
from research_governance.reviews import services as review_services
from tests.conftest import signed_in
from tests.factories import UserFactory

from .records_support import reactivate, shared
from .support import TODAY


def detail(agreement):
    return reverse("agreements:request_detail", args=[agreement.request_id])


def url(name, agreement):
    return reverse(f"agreements:{name}", args=[agreement.request_id])


@pytest.fixture
def conflicted(dac):
    """A chair of the committee who declared a conflict on the request made in each test."""
    return dac[1]


def conflict(agreement, member):
    RequestConflict.objects.create(
        request=agreement.request, member=member, reason="Co-author", declared_at=timezone.now()
    )


# ---- the panel on the request page --------------------------------------------------------------


def test_the_request_page_shows_why_the_agreement_is_suspended_and_the_officer_can_reinstate_later(
    approval, dataset, dac, secretariat
):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")

    page = signed_in(agreement.request.requester).get(detail(agreement))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Suspended" in body
    assert approval.reference in body
    assert 'id="lapsed-approvals"' in body
    assert 'id="reinstate"' not in body

    officer_page = signed_in(chair).get(detail(agreement)).content.decode()
    assert 'id="reinstate-blockers"' in officer_page
    assert "is suspended, not active" in officer_page
    reactivate(approval)
    officer_page = signed_in(chair).get(detail(agreement)).content.decode()
    assert url("agreement_reinstate", agreement) in officer_page
    assert "not revived" in officer_page


def test_the_panel_is_shown_only_to_those_who_may_see_the_request(dataset, dac):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset)
    assert 'id="records"' in signed_in(dataset.protocol.principal_investigator).get(detail(agreement)).content.decode()
    conflict(agreement, chair)
    for outsider in (UserFactory(), chair):
        assert signed_in(outsider).get(detail(agreement)).status_code == 404


# ---- destruction --------------------------------------------------------------------------------


def test_the_requester_records_destruction_from_the_page_once_the_agreement_has_ended(dataset, dac):
    agreement = shared(dataset, status="expired", term_days=-1)
    client = signed_in(agreement.request.requester)
    assert 'id="record-destruction"' in client.get(detail(agreement)).content.decode()

    response = client.post(
        url("destruction_new", agreement),
        {
            "destroyed_on": TODAY().isoformat(),
            "destroyed_by": "IT security office",
            "method": "Secure erasure",
            "evidence": "Certificate ERASE-1",
        },
    )

    assert response.status_code == 302
    assert DestructionRecord.objects.get(agreement=agreement).evidence == "Certificate ERASE-1"
    assert "Certificate ERASE-1" in client.get(detail(agreement)).content.decode()


def test_the_destruction_form_keeps_what_was_typed_and_shows_the_errors(dataset):
    agreement = shared(dataset, status="expired", term_days=-1)
    response = signed_in(agreement.request.requester).post(
        url("destruction_new", agreement),
        {
            "destroyed_on": (TODAY() + timedelta(days=3)).isoformat(),
            "destroyed_by": "Ops",
            "method": "",
            "evidence": "X",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Ops" in body
    assert "This field is required." in body
    assert not DestructionRecord.objects.exists()


def test_the_destruction_page_says_why_it_cannot_be_recorded_before_the_end(dataset):
    agreement = shared(dataset)
    client = signed_in(agreement.request.requester)
    page = client.get(url("destruction_new", agreement))
    assert page.status_code == 200
    assert "once the agreement has ended" in page.content.decode()
    client.post(
        url("destruction_new", agreement),
        {"destroyed_on": TODAY().isoformat(), "destroyed_by": "x", "method": "x", "evidence": "x"},
    )
    assert not DestructionRecord.objects.exists()


def test_no_one_but_the_recipient_side_reaches_the_destruction_page(dataset, dac):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset, status="expired", term_days=-1)
    other_requester = shared(dataset).request.requester
    assert signed_in(other_requester).get(url("destruction_new", agreement)).status_code == 404
    assert signed_in(chair).get(url("destruction_new", agreement)).status_code == 403
    assert signed_in(dataset.protocol.principal_investigator).get(url("destruction_new", agreement)).status_code == 403


# ---- provision records --------------------------------------------------------------------------


def provision_data(dataset, **overrides):
    return {
        "dataset": dataset.pk,
        "provided_on": TODAY().isoformat(),
        "items": "Biomarker table",
        "medium": "secure_transfer",
        "recipient": "Test University Hospital",
        **overrides,
    }


def test_the_provider_s_pi_records_a_provision_and_sees_it_listed(dataset):
    agreement = shared(dataset)
    client = signed_in(dataset.protocol.principal_investigator)
    assert client.get(url("provision_new", agreement)).status_code == 200

    response = client.post(url("provision_new", agreement), provision_data(dataset))

    assert response.status_code == 302
    record = ProvisionRecord.objects.get()
    assert record.keep_until.year == TODAY().year + 3
    listing = signed_in(agreement.request.requester).get(url("provision_list", agreement))
    assert listing.status_code == 200
    assert "Biomarker table" in listing.content.decode()


def test_a_provision_in_the_future_is_refused_with_the_form_kept(dataset):
    agreement = shared(dataset)
    response = signed_in(dataset.protocol.principal_investigator).post(
        url("provision_new", agreement), provision_data(dataset, provided_on=(TODAY() + timedelta(days=2)).isoformat())
    )
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert "Biomarker table" in response.content.decode()
    assert not ProvisionRecord.objects.exists()


def test_the_provision_page_says_why_under_a_suspended_agreement(dataset):
    agreement = shared(dataset, status="suspended")
    client = signed_in(dataset.protocol.principal_investigator)
    assert "this one is suspended" in client.get(url("provision_new", agreement)).content.decode()
    client.post(url("provision_new", agreement), provision_data(dataset))
    assert not ProvisionRecord.objects.exists()


def test_the_recipient_another_requester_and_a_conflicted_member_cannot_record_a_provision(dataset, dac, conflicted):
    agreement = shared(dataset)
    conflict(agreement, conflicted)
    other_requester = shared(dataset).request.requester
    assert signed_in(agreement.request.requester).get(url("provision_new", agreement)).status_code == 403
    assert signed_in(other_requester).get(url("provision_new", agreement)).status_code == 404
    assert signed_in(conflicted).get(url("provision_new", agreement)).status_code == 404
    assert signed_in(other_requester).get(url("provision_list", agreement)).status_code == 404
    signed_in(agreement.request.requester).post(url("provision_new", agreement), provision_data(dataset))
    assert not ProvisionRecord.objects.exists()


def test_the_register_lists_the_institution_s_provisions_for_officers_and_auditors_in_a_fixed_number_of_queries(
    dataset, dac, django_assert_max_num_queries
):
    _committee, chair, _secretary, members = dac
    auditor = UserFactory(roles=[Role.AUDITOR])
    pi = dataset.protocol.principal_investigator
    for n in range(4):
        agreement = shared(dataset)
        signed_in(pi).post(url("provision_new", agreement), provision_data(dataset, items=f"Batch {n}"))
    assert ProvisionRecord.objects.count() == 4
    client = signed_in(chair)
    client.get(reverse("agreements:provision_register"))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("agreements:provision_register"))
    assert page.status_code == 200
    assert all(f"Batch {n}" in page.content.decode() for n in range(4))
    assert signed_in(auditor).get(reverse("agreements:provision_register")).status_code == 200
    for outsider in (members[0], pi, UserFactory()):
        assert signed_in(outsider).get(reverse("agreements:provision_register")).status_code == 404


def test_the_register_exports_csv_with_formulas_neutralised(dataset, dac):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset)
    signed_in(dataset.protocol.principal_investigator).post(
        url("provision_new", agreement), provision_data(dataset, items="=HYPERLINK(1)")
    )
    response = signed_in(chair).get(reverse("agreements:provision_register_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.splitlines()[0].startswith("provided_on,agreement")
    assert "'=HYPERLINK(1)" in text
    assert signed_in(UserFactory()).get(reverse("agreements:provision_register_csv")).status_code == 404


# ---- reinstatement and re-review ----------------------------------------------------------------


def test_an_officer_reinstates_from_the_page_and_others_are_refused(approval, dataset, dac, secretariat):
    _committee, chair, _secretary, members = dac
    agreement = shared(dataset)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
    reactivate(approval)

    assert signed_in(agreement.request.requester).post(url("agreement_reinstate", agreement)).status_code == 403
    assert signed_in(members[0]).post(url("agreement_reinstate", agreement)).status_code == 404
    assert Agreement.objects.get().status == "suspended"

    response = signed_in(chair).post(url("agreement_reinstate", agreement))
    assert response.status_code == 302
    assert Agreement.objects.get().status == "active"
    assert AccessGrant.objects.active().count() == 1


def test_reinstatement_refused_shows_the_reason(approval, dataset, dac, secretariat):
    _committee, chair, _secretary, _members = dac
    agreement = shared(dataset)
    review_services.approval_suspend(approval=approval, by=secretariat, reasons="Audit finding.")
    response = signed_in(chair).post(url("agreement_reinstate", agreement), follow=True)
    assert "is suspended, not active" in response.content.decode()
    assert Agreement.objects.get().status == "suspended"


def test_an_officer_records_the_re_review_and_a_conflicted_one_cannot(dataset, dac, conflicted):
    _committee, _chair, secretary, _members = dac
    agreement = shared(dataset)
    Agreement.objects.filter(pk=agreement.pk).update(needs_re_review=True, re_review_reason="Consent changed.")
    conflict(agreement, conflicted)

    assert signed_in(conflicted).post(url("re_review_clear", agreement), {"rereview-note": "x"}).status_code == 404
    assert (
        signed_in(agreement.request.requester)
        .post(url("re_review_clear", agreement), {"rereview-note": "x"})
        .status_code
        == 403
    )
    page = signed_in(secretary).get(detail(agreement)).content.decode()
    assert "Consent changed." in page
    assert url("re_review_clear", agreement) in page

    signed_in(secretary).post(url("re_review_clear", agreement), {"rereview-note": "Still within consent."})
    assert Agreement.objects.get().needs_re_review is False
    assert AuditEvent.objects.filter(action="agreement.re_review_cleared").count() == 1
