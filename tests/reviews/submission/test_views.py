import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews.models import Submission
from research_governance.reviews.services import protocol_submit
from research_governance.reviews.workflow import SubmissionStatus
from tests.factories import attach, make_complete


def submit_url(protocol):
    return reverse("protocols:submit", args=[protocol.pk])


def withdraw_url(submission):
    return reverse("protocols:submission_withdraw", args=[submission.protocol_id, submission.pk])


def accept_url(submission):
    return reverse("protocols:submission_accept", args=[submission.protocol_id, submission.pk])


@pytest.mark.django_db
def test_the_submit_page_lists_what_is_missing_with_links(client_for, pi):
    protocol = make_complete(pi, summary="")
    page = client_for(pi).get(submit_url(protocol)).content.decode()
    assert "1 item is missing" in page
    assert f'href="/protocols/{protocol.pk}/edit/#id_summary"' in page


@pytest.mark.django_db
def test_submitting_an_opt_out_study_without_its_notice_is_refused_with_the_reason(client_for, pi):
    protocol = make_complete(pi, consent_procedure="opt_out", acquisition="existing_own")
    response = client_for(pi).post(submit_url(protocol))
    page = response.content.decode()
    assert response.status_code == 200
    assert "The application was not submitted." in page
    assert "Attach the document: Opt-out notice." in page
    assert "Opt-out notice text is required" in page
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.DRAFT
    assert protocol.summary == "What we study and why."


@pytest.mark.django_db
def test_the_pi_submits_and_sees_the_status_change(client_for, pi):
    protocol = make_complete(pi)
    response = client_for(pi).post(submit_url(protocol), follow=True)
    page = response.content.decode()
    assert "Submitted. The secretariat will pre-screen it" in page
    assert "Withdraw submission" in page
    assert Submission.objects.get().status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_a_team_member_without_delegation_cannot_open_the_submit_page(client_for, pi, coinvestigator):
    protocol = make_complete(pi)
    protocol_services.team_member_add(
        protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False
    )
    assert client_for(coinvestigator).get(submit_url(protocol)).status_code == 403
    assert client_for(coinvestigator).post(submit_url(protocol)).status_code == 403
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_the_pi_withdraws_and_the_draft_is_editable_again(client_for, pi):
    protocol = make_complete(pi)
    submission = protocol_submit(protocol=protocol, by=pi)
    response = client_for(pi).post(withdraw_url(submission), follow=True)
    assert "Submission withdrawn" in response.content.decode()
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.DRAFT
    assert client_for(pi).get(reverse("protocols:edit", args=[protocol.pk])).status_code == 200


@pytest.mark.django_db
def test_withdrawing_after_acceptance_is_refused_with_the_reason(client_for, pi, secretariat):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    client_for(secretariat).post(accept_url(submission), {"accept-route": "full_board"})
    response = client_for(pi).post(withdraw_url(submission), follow=True)
    assert "already accepted this submission" in response.content.decode()
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.ACCEPTED


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_investigator", "reviewer"])
def test_people_off_the_team_cannot_withdraw_or_accept(client_for, pi, persona, request):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(withdraw_url(submission)).status_code == 404
    assert client.post(withdraw_url(submission)).status_code == 404
    assert client.post(accept_url(submission)).status_code == 404
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_the_pi_cannot_accept_their_own_submission(client_for, pi):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    assert client_for(pi).post(accept_url(submission)).status_code == 404
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_withdrawing_asks_for_confirmation_first(client_for, pi):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    page = client_for(pi).get(withdraw_url(submission)).content.decode()
    assert "Withdraw submission?" in page
    assert "stays on record" in page
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_the_confirmation_is_not_offered_once_accepted(client_for, pi, secretariat):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    client_for(secretariat).post(accept_url(submission), {"accept-route": "full_board"})
    response = client_for(pi).get(withdraw_url(submission), follow=True)
    assert "cannot be withdrawn now" in response.content.decode()


@pytest.mark.django_db
def test_accepting_only_takes_post(client_for, pi, secretariat):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    assert client_for(secretariat).get(accept_url(submission)).status_code == 405
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_the_secretariat_queue_shows_submissions_and_not_drafts(client_for, pi, secretariat):
    submitted = make_complete(pi, title_en="Submitted study")
    protocol_submit(protocol=submitted, by=pi)
    make_complete(pi, title_en="Still a draft")
    page = client_for(secretariat).get(reverse("reviews:secretariat_queue")).content.decode()
    assert "Submitted study" in page
    assert "Still a draft" not in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "other_investigator", "reviewer"])
def test_the_secretariat_queue_is_hidden_from_everybody_else(client_for, persona, request):
    assert client_for(request.getfixturevalue(persona)).get(reverse("reviews:secretariat_queue")).status_code == 404


@pytest.mark.django_db
def test_the_secretariat_queue_query_count_does_not_grow_with_submissions(client_for, pi, secretariat):
    client = client_for(secretariat)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("reviews:secretariat_queue")).status_code == 200
        return len(captured)

    protocol_submit(protocol=make_complete(pi), by=pi)
    few = queries()
    for _ in range(8):
        protocol_submit(protocol=make_complete(pi), by=pi)
    assert queries() == few


@pytest.mark.django_db
def test_the_secretariat_accepts_from_the_protocol_page(client_for, pi, secretariat):
    protocol = make_complete(pi)
    attach(protocol, pi, "questionnaire")
    submission = protocol_submit(protocol=protocol, by=pi)
    page = client_for(secretariat).get(reverse("protocols:detail", args=[protocol.pk])).content.decode()
    assert "Accept for review" in page
    assert "Withdraw submission" not in page
    client_for(secretariat).post(accept_url(submission), {"accept-route": "full_board"})
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.IN_REVIEW


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in_for_every_submission_page(client_for, pi):
    submission = protocol_submit(protocol=make_complete(pi), by=pi)
    for url in (reverse("reviews:secretariat_queue"), withdraw_url(submission), submit_url(submission.protocol)):
        response = client_for(None).get(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert client_for(None).post(accept_url(submission)).status_code == 302
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.SUBMITTED
