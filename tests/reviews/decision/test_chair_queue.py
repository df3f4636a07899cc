"""The chair's queue is built on ``core.work``: the items whose step is the chair's (decide,
acknowledge, sign off) at the institutions the user chairs or runs the secretariat of, one
section per step, each paginated, in a number of queries that does not grow with the rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.reviews import services
from research_governance.reviews.next_steps.decision_steps import SIGN_OFF
from research_governance.reviews.next_steps.review_steps import ACKNOWLEDGE, DECIDE
from tests.factories import PASSWORD, InstitutionFactory, UserFactory

from ..decisions_support import accepted
from ..post_approval_support import progress_data

URL = reverse("reviews:chair_queue")


@pytest.fixture
def committee(members):
    """The test institution's ethics committee (the one ``approval`` is reviewed by)."""
    return members[0].committee


def section(page: str, slug: str) -> str:
    """The HTML of one section of the queue ("decide", "acknowledge", "sign_off")."""
    found = re.search(rf'<section class="mb-4" id="{slug}".*?</section>', page, re.S)
    assert found, f"no section {slug}"
    return found.group(0)


def keys(page: str, slug: str) -> list[str]:
    return re.findall(r'data-work-key="([^"]+)"', section(page, slug))


def answered(pi, secretariat, committee):
    decision = services.decision_record(
        submission=accepted(pi, secretariat, committee),
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Sound.",
        conditions=["Add the hotline."],
    )
    condition = decision.conditions.get()
    services.condition_answer(condition=condition, by=pi, response="Done.")
    return condition


def report_accepted(approval, pi, secretariat):
    report = services.report_submit(protocol=approval.protocol, by=pi, kind="progress_report", data=progress_data())
    return services.submission_accept(submission=report, by=secretariat, route="expedited")


@pytest.mark.django_db
def test_a_submission_with_its_reviews_in_is_ready_for_decision_for_the_chair_and_the_secretariat(
    client_for, pi, secretariat, committee, chair
):
    submission = accepted(pi, secretariat, committee)
    key = f"{DECIDE.code}:{submission.pk}"
    for officer in (chair, secretariat):
        page = client_for(officer).get(URL).content.decode()
        assert "Ready for decision" in page
        assert keys(page, "decide") == [key]
        decide = section(page, "decide")
        assert submission.protocol.reference in decide
        assert "A complete protocol" in decide  # the title in the reader's language
        assert f"?submission={submission.pk}" in decide
        assert keys(page, "acknowledge") == []
        assert keys(page, "sign_off") == []


@pytest.mark.django_db
def test_the_title_is_in_the_reader_s_language(client_for, pi, secretariat, committee, chair):
    accepted(pi, secretariat, committee)
    client = client_for(chair)
    client.cookies["django_language"] = "ja"
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "完全な研究計画" in section(page, "decide")


@pytest.mark.django_db
def test_nobody_else_sees_the_submission_ready_for_decision(client_for, pi, secretariat, committee):
    submission = accepted(pi, secretariat, committee)
    elsewhere = UserFactory(institution=InstitutionFactory(code="other-inst"), roles=[Role.CHAIR])
    page = client_for(elsewhere).get(URL).content.decode()
    assert keys(page, "decide") == []
    assert submission.protocol.reference not in page
    member = UserFactory(roles=[Role.COMMITTEE_MEMBER])
    assert client_for(member).get(URL).status_code == 404
    assert client_for(pi).get(URL).status_code == 404


@pytest.mark.django_db
def test_a_report_to_acknowledge_and_an_answered_condition_are_listed(
    client_for, approval, pi, secretariat, committee, chair
):
    report = report_accepted(approval, pi, secretariat)
    condition = answered(pi, secretariat, committee)
    page = client_for(chair).get(URL).content.decode()
    assert "Reports to acknowledge" in page
    assert keys(page, "acknowledge") == [f"{ACKNOWLEDGE.code}:{report.pk}"]
    assert "Conditions to sign off" in page
    assert keys(page, "sign_off") == [f"{SIGN_OFF.code}:{condition.pk}"]
    assert f"#condition-{condition.pk}" in section(page, "sign_off")


@pytest.mark.django_db
def test_after_the_decision_the_item_leaves_the_queue(client_for, approval, pi, secretariat, committee, chair):
    submission = accepted(pi, secretariat, committee)
    report = report_accepted(approval, pi, secretariat)
    condition = answered(pi, secretariat, committee)
    services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    services.decision_record(submission=report, by=secretariat, outcome="acknowledge", reasons="Noted.")
    services.condition_sign_off(condition=condition, by=chair, meaning="approval", password=PASSWORD)
    page = client_for(chair).get(URL).content.decode()
    assert keys(page, "decide") == []
    assert keys(page, "acknowledge") == []
    assert keys(page, "sign_off") == []
    assert "No submission has all its reviews in." in page


@pytest.mark.django_db
def test_each_section_pages_on_its_own(client_for, pi, secretariat, committee, chair, monkeypatch):
    from research_governance.reviews.conditions import views

    monkeypatch.setattr(views, "PAGE_SIZE", 1)
    first, second = accepted(pi, secretariat, committee), accepted(pi, secretariat, committee)
    condition = answered(pi, secretariat, committee)
    client = client_for(chair)
    page = client.get(URL).content.decode()
    shown = keys(page, "decide")
    assert len(shown) == 1
    assert "?decide_page=2#decide" in section(page, "decide")
    assert keys(page, "sign_off") == [f"{SIGN_OFF.code}:{condition.pk}"]
    other = client.get(URL, {"decide_page": 2}).content.decode()
    assert {*shown, *keys(other, "decide")} == {f"{DECIDE.code}:{first.pk}", f"{DECIDE.code}:{second.pk}"}
    # The other sections stay on their first page.
    assert keys(other, "sign_off") == [f"{SIGN_OFF.code}:{condition.pk}"]


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(URL).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_the_queue_runs_the_same_queries_however_many_rows(client_for, approval, pi, secretariat, committee, chair):
    def one_of_each():
        accepted(pi, secretariat, committee)
        answered(pi, secretariat, committee)

    report_accepted(approval, pi, secretariat)
    one_of_each()
    client = client_for(chair)
    client.get(URL)
    few = _queries(client)
    for _ in range(3):
        one_of_each()
    client.get(URL)
    many = _queries(client)
    page = client.get(URL).content.decode()
    assert len(keys(page, "decide")) == 4
    assert len(keys(page, "sign_off")) == 4
    assert many == few
