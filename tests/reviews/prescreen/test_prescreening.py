"""Pre-screening: the secretariat accepts on a route or returns with itemised requests;
the investigator answers each and resubmits, and every round is kept."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from research_governance.audit.models import AuditEvent
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.models import Submission
from research_governance.reviews.workflow import SubmissionStatus, TransitionRefused
from tests.factories import make_complete


def returned_with(pi, secretariat, *requests):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_return(submission=submission, by=secretariat, requests=list(requests))
    protocol.refresh_from_db()
    submission.refresh_from_db()
    return protocol, submission


@pytest.mark.django_db
def test_returning_numbers_the_requests_and_reopens_the_application(pi, secretariat):
    protocol, submission = returned_with(pi, secretariat, "Explain the sample size.", "", "Attach the CV.")
    assert submission.status == SubmissionStatus.RETURNED
    assert protocol.status == ProtocolStatus.RETURNED
    assert protocol.is_editable
    assert [(r.number, r.text) for r in submission.requests.all()] == [
        (1, "Explain the sample size."),
        (2, "Attach the CV."),
    ]
    assert AuditEvent.objects.filter(action="submission.returned", protocol=protocol).exists()
    assert AuditEvent.objects.get(action="submission.requests_made").data["requests"][1] == "Attach the CV."


@pytest.mark.django_db
def test_a_return_needs_at_least_one_request(pi, secretariat):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    with pytest.raises(ValidationError):
        services.submission_return(submission=submission, by=secretariat, requests=["  ", ""])
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_resubmitting_needs_every_request_answered_then_opens_round_two(pi, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain the sample size.", "Attach the CV.")
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    assert [item.message for item in incomplete.value.missing] == [
        "Answer the secretariat's request 1: “Explain the sample size.”",
        "Answer the secretariat's request 2: “Attach the CV.”",
    ]
    for request in first.requests.all():
        services.request_answer(request=request, by=pi, response=f"Done: {request.number}")
    protocol.refresh_from_db()
    protocol_services.protocol_update_draft(
        protocol=protocol, by=pi, data={"target_participants": 150}, lock_version=protocol.lock_version
    )
    second = services.protocol_submit(protocol=protocol, by=pi)
    assert second.round == 2
    assert second.previous == first
    assert second.version.number == 2
    assert first.version.snapshot["form"]["target_participants"] == 120
    assert second.version.snapshot["form"]["target_participants"] == 150
    first.refresh_from_db()
    assert first.status == SubmissionStatus.RETURNED
    assert list(first.requests.values_list("response", flat=True)) == ["Done: 1", "Done: 2"]


@pytest.mark.django_db
def test_answers_of_an_earlier_round_cannot_change(pi, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain the sample size.")
    request = first.requests.get()
    services.request_answer(request=request, by=pi, response="Power analysis attached.")
    services.protocol_submit(protocol=protocol, by=pi)
    with pytest.raises(TransitionRefused):
        services.request_answer(request=request, by=pi, response="Changed later")
    request.refresh_from_db()
    assert request.response == "Power analysis attached."


@pytest.mark.django_db
def test_only_the_applicant_answers(pi, coinvestigator, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain.")
    protocol_services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=False)
    with pytest.raises(PermissionDenied):
        services.request_answer(request=first.requests.get(), by=coinvestigator, response="x")
    with pytest.raises(PermissionDenied):
        services.request_answer(request=first.requests.get(), by=secretariat, response="x")


@pytest.mark.django_db
def test_accepting_records_the_route_the_secretariat_chose(pi, secretariat):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    with pytest.raises(ValidationError):
        services.submission_accept(submission=submission, by=secretariat, route="")
    accepted = services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assert accepted.route == "expedited"
    assert AuditEvent.objects.get(action="submission.accepted").data["route"] == "expedited"


# ---- pages ---------------------------------------------------------------------------------------------------------


def detail(protocol):
    return reverse("protocols:detail", args=[protocol.pk])


@pytest.mark.django_db
def test_the_secretariat_returns_from_the_protocol_page_and_the_investigator_sees_the_requests(
    client_for, pi, secretariat
):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    page = client_for(secretariat).get(detail(protocol)).content.decode()
    assert "Return to the investigator" in page
    response = client_for(secretariat).post(
        reverse("protocols:submission_return", args=[protocol.pk, submission.pk]),
        {"return-requests": "Explain the sample size.\nAttach the CV."},
        follow=True,
    )
    assert "Returned to the investigator" in response.content.decode()
    investigator_page = client_for(pi).get(detail(protocol)).content.decode()
    assert "Explain the sample size." in investigator_page
    assert "Save answer" in investigator_page


@pytest.mark.django_db
def test_an_empty_return_is_explained_on_the_page(client_for, pi, secretariat):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    response = client_for(secretariat).post(
        reverse("protocols:submission_return", args=[protocol.pk, submission.pk]), {"return-requests": ""}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_accepting_without_a_route_keeps_the_submission_waiting(client_for, pi, secretariat):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    response = client_for(secretariat).post(reverse("protocols:submission_accept", args=[protocol.pk, submission.pk]))
    assert "This field is required." in response.content.decode()
    assert Submission.objects.get().status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_the_suggested_route_is_preselected_from_the_rules_engine_jp_erc_10(client_for, pi, secretariat):
    protocol = make_complete(pi)  # no invasiveness, not interventional: JP-ERC-10 (c), unverified
    services.protocol_submit(protocol=protocol, by=pi)
    page = client_for(secretariat).get(detail(protocol)).content.decode()
    assert 'value="expedited" id="id_accept-route_0" checked' in page
    assert "The rules engine suggests expedited review" in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "other_investigator", "reviewer"])
def test_only_the_secretariat_returns(client_for, persona, pi, request):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    response = client_for(request.getfixturevalue(persona)).post(
        reverse("protocols:submission_return", args=[protocol.pk, submission.pk]), {"return-requests": "x"}
    )
    assert response.status_code == 404
    assert Submission.objects.get().status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_answering_from_the_page(client_for, pi, coinvestigator, other_investigator, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain the sample size.")
    protocol_services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=False)
    item = first.requests.get()
    url = reverse("protocols:request_answer", args=[protocol.pk, item.pk])
    field = f"answer-{item.pk}-response"
    assert client_for(other_investigator).post(url, {field: "x"}).status_code == 404
    assert client_for(coinvestigator).post(url, {field: "x"}).status_code == 403
    empty = client_for(pi).post(url, {field: ""})
    assert "This field is required." in empty.content.decode()
    client_for(pi).post(url, {field: "A power analysis is attached."})
    item.refresh_from_db()
    assert item.response == "A power analysis is attached."
