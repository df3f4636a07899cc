import json
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from research_governance.agreements import agreement_services, dac_services
from research_governance.agreements.models import AccessGrant, RequestConflict
from research_governance.audit.models import AuditEvent
from tests.conftest import signed_in
from tests.factories import PASSWORD, UserFactory

from .review_support import active_agreement, decided_request
from .support import make_request


def detail(data_request):
    return reverse("agreements:request_detail", args=[data_request.pk])


def test_the_queue_shows_the_officer_the_waiting_requests_in_a_fixed_number_of_queries(
    dataset, dac, django_assert_num_queries
):
    _committee, _chair, secretary, _others = dac
    for number in range(3):
        make_request(UserFactory(), [dataset], title=f"Request {number}")
    client = signed_in(secretary)
    client.get(reverse("agreements:dac_queue"))
    # session, user, officer check, count, page rows (with the review counts and the verdict),
    # and the menu's check that the waiting count is current (portal.selectors.waiting_count)
    with django_assert_num_queries(6):
        response = client.get(reverse("agreements:dac_queue"))
    text = response.content.decode()
    assert "Request 2" in text
    assert "Permitted" in text


def test_the_queue_is_404_for_anyone_but_an_officer(dataset, dac):
    _committee, _chair, _secretary, others = dac
    assert signed_in(others[0]).get(reverse("agreements:dac_queue")).status_code == 404
    assert signed_in(UserFactory()).get(reverse("agreements:dac_queue")).status_code == 404


def test_the_officer_sees_accept_and_return_on_the_request_page(dataset, dac):
    _committee, _chair, secretary, _others = dac
    data_request = make_request(UserFactory(), [dataset])
    text = signed_in(secretary).get(detail(data_request)).content.decode()
    assert "Accept for review" in text
    assert "Return to the requester" in text


def test_the_officer_accepts_assigns_and_decides_through_the_pages(dataset, dac):
    _committee, _chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    officer = signed_in(secretary)
    officer.post(reverse("agreements:request_accept", args=[data_request.pk]))
    text = officer.get(detail(data_request)).content.decode()
    assert "Assign" in text
    officer.post(
        reverse("agreements:reviewer_assign", args=[data_request.pk]),
        {"assign-reviewer": others[0].pk, "assign-due_date": (timezone.localdate() + timedelta(days=7)).isoformat()},
    )
    reviewer = signed_in(others[0])
    assert "Write your review" in reviewer.get(detail(data_request)).content.decode()
    response = reviewer.post(
        reverse("agreements:review_write", args=[data_request.pk]), {"recommendation": "approve", "comments": ""}
    )
    assert response.status_code == 200  # the form again, with the error
    reviewer.post(
        reverse("agreements:review_write", args=[data_request.pk]),
        {"recommendation": "approve", "comments": "A careful plan."},
    )
    page = officer.get(reverse("agreements:decision_record", args=[data_request.pk])).content.decode()
    assert "A careful plan." in page
    response = officer.post(
        reverse("agreements:decision_record", args=[data_request.pk]),
        {"outcome": "approve", "reasons": "", "conditions": ""},
    )
    assert response.status_code == 200
    officer.post(
        reverse("agreements:decision_record", args=[data_request.pk]),
        {"outcome": "approve", "reasons": "Within consent.", "conditions": ""},
    )
    data_request.refresh_from_db()
    assert data_request.agreement.status == "awaiting_signatures"


def test_the_return_page_keeps_what_the_officer_typed_when_refused(dataset, dac):
    _committee, _chair, secretary, _others = dac
    data_request = make_request(UserFactory(), [dataset])
    response = signed_in(secretary).post(reverse("agreements:request_return", args=[data_request.pk]), {"reasons": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_an_unassigned_member_cannot_open_the_review_page(dataset, dac):
    _committee, _chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    dac_services.request_accept(data_request=data_request, by=secretary)
    dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    assert signed_in(others[1]).get(reverse("agreements:review_write", args=[data_request.pk])).status_code == 404


def test_a_conflicted_member_gets_404_on_every_page_of_the_request_us_irb_03(dataset, dac):
    _committee, chair, _secretary, _others = dac
    data_request = decided_request(dataset, dac)
    RequestConflict.objects.create(request=data_request, member=chair, reason="x", declared_at=timezone.now())
    client = signed_in(chair)
    agreement = data_request.agreement
    for name, pk in (
        ("request_detail", data_request.pk),
        ("request_return", data_request.pk),
        ("review_write", data_request.pk),
        ("decision_record", data_request.pk),
        ("agreement_sign", agreement.pk),
        ("agreement_document", agreement.pk),
    ):
        assert client.get(reverse(f"agreements:{name}", args=[pk])).status_code == 404, name
    for name, pk in (("request_accept", data_request.pk), ("terms_accept", agreement.pk)):
        assert client.post(reverse(f"agreements:{name}", args=[pk])).status_code == 404, name


def test_another_requester_sees_nothing_of_the_request(dataset, dac):
    data_request = decided_request(dataset, dac)
    client = signed_in(UserFactory())
    assert client.get(detail(data_request)).status_code == 404
    assert client.get(reverse("agreements:agreement_sign", args=[data_request.agreement.pk])).status_code == 404
    assert client.get(reverse("agreements:agreement_document", args=[data_request.agreement.pk])).status_code == 404


def test_the_requester_cannot_act_for_the_committee(dataset, dac):
    data_request = make_request(UserFactory(), [dataset])
    client = signed_in(data_request.requester)
    assert client.post(reverse("agreements:request_accept", args=[data_request.pk])).status_code == 403
    assert client.get(reverse("agreements:decision_record", args=[data_request.pk])).status_code == 403


def test_signing_through_the_page_asks_the_password_again(dataset, dac):
    data_request = decided_request(dataset, dac)
    client = signed_in(data_request.requester)
    address = reverse("agreements:agreement_sign", args=[data_request.agreement.pk])
    assert "For the recipient" in client.get(address).content.decode()
    response = client.post(address, {"password": "wrong"})
    assert "nothing was signed" in response.content.decode()
    assert client.post(address, {"password": PASSWORD}).status_code == 302
    assert data_request.agreement.signatures.get().party == "recipient"


def test_the_agreement_panel_offers_each_viewer_their_next_step(dataset, dac):
    _committee, chair, _secretary, _others = dac
    colleague = UserFactory(email="colleague@test.example")
    data_request = decided_request(dataset, dac, team=[colleague])
    assert "Sign for the recipient" in signed_in(data_request.requester).get(detail(data_request)).content.decode()
    # The provider signs after the recipient (agreements.next_steps): until then the chair waits.
    assert "Sign for the provider" not in signed_in(chair).get(detail(data_request)).content.decode()
    agreement_services.agreement_sign(agreement=data_request.agreement, by=data_request.requester, password=PASSWORD)
    assert "Sign for the provider" in signed_in(chair).get(detail(data_request)).content.decode()
    assert "Accept the terms" in signed_in(colleague).get(detail(data_request)).content.decode()


def test_the_document_downloads_for_those_who_may_view_the_agreement(dataset, dac):
    from research_governance.agreements.document import agreement_render

    data_request = decided_request(dataset, dac)
    agreement_render(data_request.agreement.pk)
    response = signed_in(data_request.requester).get(
        reverse("agreements:agreement_document", args=[data_request.agreement.pk])
    )
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_my_access_shows_an_ended_grant_as_ended_at_once(dataset, dac):
    agreement = active_agreement(dataset, dac)
    client = signed_in(agreement.request.requester)
    assert "Active" in client.get(reverse("agreements:my_access")).content.decode()
    AccessGrant.objects.update(starts_at=timezone.now() - timedelta(days=2), ends_at=timezone.now() - timedelta(days=1))
    text = client.get(reverse("agreements:my_access")).content.decode()
    assert "Ended" in text
    assert ">Active<" not in text


def test_the_export_lists_current_grants_as_csv_and_json(dataset, dac):
    _committee, chair, _secretary, _others = dac
    colleague = UserFactory(email="colleague@test.example")
    agreement = active_agreement(dataset, dac, team=[colleague])
    client = signed_in(chair)
    csv_text = b"".join(client.get(reverse("agreements:grants_export", args=["csv"])).streaming_content).decode()
    lines = csv_text.strip().splitlines()
    assert lines[0] == "user,email,agreement,datasets,starts_at,ends_at"
    assert len(lines) == 2
    assert agreement.reference in lines[1]
    assert "requester@test.example" in lines[1]
    assert dataset.title in lines[1]
    data = json.loads(b"".join(client.get(reverse("agreements:grants_export", args=["json"])).streaming_content))
    assert [row["email"] for row in data["grants"]] == ["requester@test.example"]
    AccessGrant.objects.update(
        ends_at=timezone.now() - timedelta(seconds=1), starts_at=timezone.now() - timedelta(days=1)
    )
    data = json.loads(b"".join(client.get(reverse("agreements:grants_export", args=["json"])).streaming_content))
    assert data["grants"] == []


def test_the_export_is_404_for_members_and_requesters(dataset, dac):
    _committee, _chair, _secretary, others = dac
    agreement = active_agreement(dataset, dac)
    for user in (others[0], agreement.request.requester):
        assert signed_in(user).get(reverse("agreements:grants_export", args=["csv"])).status_code == 404


def test_the_verification_page_is_public_and_shows_no_people(dataset, dac):
    data_request = decided_request(dataset, dac)
    agreement = data_request.agreement
    response = signed_in(None).get(reverse("agreements:agreement_verify", args=[agreement.verification_code]))
    assert response.status_code == 200
    text = response.content.decode()
    assert agreement.reference in text
    assert data_request.requester.email not in text
    assert data_request.title not in text
    assert signed_in(None).get(reverse("agreements:agreement_verify", args=["nope"])).status_code == 404


def test_refused_posts_change_nothing(dataset, dac):
    _committee, _chair, _secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    before = AuditEvent.objects.count()
    signed_in(others[0]).post(reverse("agreements:request_accept", args=[data_request.pk]))
    assert AuditEvent.objects.count() == before
