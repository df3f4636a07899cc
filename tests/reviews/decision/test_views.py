"""The decision pages: who sees and may use each form (JP-ERC-10, JP-ERC-13, US-R-01), forms keep
input on errors, and the head's and the chair's queues run a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.models import Decision
from tests.factories import PASSWORD, UserFactory

from ..decisions_support import accepted, make_committee


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def chair(db):
    return UserFactory(email="chair@test.example", name_latin="Chloe Chair", roles=[Role.CHAIR])


@pytest.fixture
def head(db):
    return UserFactory(email="head@test.example", name_latin="Hiro Head", roles=[Role.HEAD])


def detail(protocol):
    return reverse("protocols:detail", args=[protocol.pk])


def decide_url(submission):
    return reverse("reviews:decision_record", args=[submission.protocol_id, submission.pk])


def with_conditions(pi, secretariat, committee):
    return services.decision_record(
        submission=accepted(pi, secretariat, committee),
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Sound.",
        conditions=["Add the hotline."],
    )


@pytest.mark.django_db
def test_the_secretariat_sees_the_reviews_and_records_an_expedited_decision_jp_erc_10(
    client_for, pi, secretariat, committee
):
    submission = accepted(pi, secretariat, committee)
    page = client_for(secretariat).get(detail(submission.protocol)).content.decode()
    assert "Record the decision" in page
    assert "Fine." in page  # the reviewer's summary
    response = client_for(secretariat).post(
        decide_url(submission),
        {"decision-outcome": "approve", "decision-reasons": "Minimal risk.", "decision-conditions": ""},
        follow=True,
    )
    page = response.content.decode()
    assert "Decision recorded" in page
    assert "Awaiting the head of institution's permission" in page
    assert Decision.objects.get().reasons == "Minimal risk."


@pytest.mark.django_db
def test_the_decision_form_keeps_the_input_on_errors(client_for, pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    response = client_for(secretariat).post(
        decide_url(submission),
        {"decision-outcome": "approve_with_conditions", "decision-reasons": "Keep me.", "decision-conditions": ""},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Write at least one condition" in page
    assert "Keep me." in page
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_a_full_board_submission_shows_decided_at_a_meeting_without_a_form(client_for, pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee, route="full_board", reviewed=False)
    page = client_for(secretariat).get(detail(submission.protocol)).content.decode()
    assert "Decided at a meeting" in page
    assert "decision-outcome" not in page


@pytest.mark.django_db
def test_only_the_secretariat_or_the_chair_may_post_a_decision(
    client_for, pi, secretariat, committee, other_investigator, reviewer, head
):
    submission = accepted(pi, secretariat, committee)
    data = {"decision-outcome": "approve", "decision-reasons": "x"}
    assert client_for(None).post(decide_url(submission), data).status_code == 302  # to sign-in
    assert client_for(other_investigator).post(decide_url(submission), data).status_code == 404
    assert client_for(reviewer).post(decide_url(submission), data).status_code == 404
    assert client_for(pi).post(decide_url(submission), data).status_code == 403
    assert client_for(head).post(decide_url(submission), data).status_code == 403
    assert "Record the decision" not in client_for(pi).get(detail(submission.protocol)).content.decode()
    assert not Decision.objects.exists()


@pytest.mark.django_db
def test_the_applicant_answers_and_the_chair_signs_off_and_the_page_shows_the_signature_us_r_01(
    client_for, pi, secretariat, committee, chair, other_investigator
):
    decision = with_conditions(pi, secretariat, committee)
    condition = decision.conditions.get()
    protocol = decision.submission.protocol
    answer_url = reverse("reviews:condition_answer", args=[protocol.pk, condition.pk])
    sign_url = reverse("reviews:condition_sign_off", args=[protocol.pk, condition.pk])
    assert client_for(other_investigator).post(answer_url, {}).status_code == 404
    assert client_for(chair).post(answer_url, {f"condition-{condition.pk}-response": "x"}).status_code == 403
    empty = client_for(pi).post(answer_url, {f"condition-{condition.pk}-response": " "})
    assert empty.status_code == 200
    client_for(pi).post(answer_url, {f"condition-{condition.pk}-response": "Hotline added."})
    assert client_for(pi).post(sign_url, {f"signoff-{condition.pk}-meaning": "approval"}).status_code == 403
    assert client_for(None).post(sign_url, {}).status_code == 302
    page = client_for(chair).get(detail(protocol)).content.decode()
    assert "Hotline added." in page
    assert "Meaning of your signature" in page
    # US-R-01: the password is the signature's second component; a wrong one signs nothing.
    wrong = client_for(chair).post(
        sign_url, {f"signoff-{condition.pk}-meaning": "approval", f"signoff-{condition.pk}-password": "guess"}
    )
    assert "The password is not correct; nothing was signed." in wrong.content.decode()
    assert 'value="guess"' not in wrong.content.decode()
    condition.refresh_from_db()
    assert condition.signed_off_at is None
    client_for(chair).post(
        sign_url, {f"signoff-{condition.pk}-meaning": "approval", f"signoff-{condition.pk}-password": PASSWORD}
    )
    condition.refresh_from_db()
    page = client_for(pi).get(detail(protocol)).content.decode()
    signed_at = timezone.localtime(condition.signed_off_at)
    assert f"Signed off by {chair.display_name} on {signed_at:%Y-%m-%d %H:%M}" in page
    assert "meaning: Approval" in page


@pytest.mark.django_db
def test_the_head_permits_on_the_page_and_the_approval_is_shown_jp_erc_13(client_for, pi, secretariat, committee, head):
    decision = services.decision_record(
        submission=accepted(pi, secretariat, committee), by=secretariat, outcome="approve", reasons=""
    )
    protocol = decision.submission.protocol
    url = reverse("reviews:head_decide", args=[protocol.pk, decision.pk])
    assert "Permit or refuse the research" in client_for(head).get(detail(protocol)).content.decode()
    assert "Permit or refuse the research" not in client_for(pi).get(detail(protocol)).content.decode()
    assert client_for(pi).post(url, {"permission-decision": "permit"}).status_code == 403
    assert client_for(secretariat).post(url, {"permission-decision": "permit"}).status_code == 403
    assert client_for(None).post(url, {"permission-decision": "permit"}).status_code == 302
    refused = client_for(head).post(url, {"permission-decision": "refuse", "permission-reasons": ""})
    assert "Give the reasons for refusing permission." in refused.content.decode()
    page = client_for(head).post(url, {"permission-decision": "permit"}, follow=True).content.decode()
    assert "Your decision is recorded" in page
    assert f"A-{protocol.reference}-1" in page
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.APPROVED


@pytest.mark.django_db
def test_the_head_and_the_chair_see_submitted_protocols_of_their_institution_only(
    client_for, pi, secretariat, committee, head, chair
):
    from research_governance.protocols.permissions import visible_protocols
    from tests.factories import InstitutionFactory, make_complete

    draft = make_complete(pi)
    submission = accepted(pi, secretariat, committee, reviewed=False)
    elsewhere = UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.HEAD])
    assert client_for(head).get(detail(submission.protocol)).status_code == 200
    assert client_for(chair).get(detail(submission.protocol)).status_code == 200
    assert client_for(head).get(detail(draft)).status_code == 404
    assert client_for(elsewhere).get(detail(submission.protocol)).status_code == 404
    assert set(visible_protocols(head)) == {submission.protocol}
    assert set(visible_protocols(elsewhere)) == set()


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_heads_queue_lists_what_awaits_permission_with_a_constant_query_count(
    client_for, pi, secretariat, committee, head
):
    url = reverse("reviews:head_queue")
    assert client_for(pi).get(url).status_code == 404
    assert client_for(secretariat).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302

    def decide_one():
        submission = accepted(pi, secretariat, committee)
        services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="")
        return submission.protocol

    first = decide_one()
    client = client_for(head)
    few = _queries(client, url)
    for _ in range(3):
        decide_one()
    # The head was told of each new permission: the first page counts the badge afresh.
    client.get(url)
    assert _queries(client, url) == few
    assert first.reference in client.get(url).content.decode()


@pytest.mark.django_db
def test_the_chairs_queue_lists_answered_conditions_with_a_constant_query_count(
    client_for, pi, secretariat, committee, chair, head
):
    url = reverse("reviews:chair_queue")
    assert client_for(pi).get(url).status_code == 404
    assert client_for(head).get(url).status_code == 404

    def answer_one():
        condition = with_conditions(pi, secretariat, committee).conditions.get()
        services.condition_answer(condition=condition, by=pi, response="Done.")
        return condition

    first = answer_one()
    client = client_for(chair)
    few = _queries(client, url)
    for _ in range(3):
        answer_one()
    # The chair was told of each answer: the first page counts the badge afresh.
    client.get(url)
    assert _queries(client, url) == few
    assert first.decision.submission.protocol.reference in client.get(url).content.decode()
    assert client_for(secretariat).get(url).status_code == 200
