"""The protocol page tells each viewer the truth about the next step, from the one source of
pending work: their own step with its form, or who the others wait for and since when; the
completeness check and the submit service give the same reasons; the correspondence of every
round stays on the page; the decision and its letters are one click away; history lines say
what happened to whom."""

import html as entities
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from research_governance.letters import services as letter_services
from research_governance.reviews import services
from research_governance.reviews.completeness import application_missing_items
from tests.factories import make_complete
from tests.reviews.decisions_support import accepted, make_committee, seat

NOTHING_NEEDED = "Nothing is needed from you now."


def page(client, protocol, language="en"):
    response = client.get(reverse("protocols:detail", args=[protocol.pk]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def panel(html: str) -> str:
    """The next-step panel's text, tags stripped and spaces squeezed."""
    found = re.search(r'<section[^>]*id="next-step".*?</section>', html, re.S)
    assert found, "the page has a next-step panel"
    return text_of(found.group(0))


def text_of(fragment: str) -> str:
    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def returned_with(pi, secretariat, *requests):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_return(submission=submission, by=secretariat, requests=list(requests))
    protocol.refresh_from_db()
    return protocol, submission


@pytest.mark.django_db
def test_the_secretariat_is_asked_to_pre_screen_and_the_investigator_sees_whom_they_wait_for(
    client_for, pi, secretariat
):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    since = timezone.localtime(submission.submitted_at).date().isoformat()

    secretariat_panel = panel(page(client_for(secretariat), submission.protocol))
    assert "Pre-screen the submission Initial application" in secretariat_panel
    assert "Accept for review" in secretariat_panel
    assert NOTHING_NEEDED not in secretariat_panel

    investigator_panel = panel(page(client_for(pi), submission.protocol))
    assert f"Waiting for the secretariat's pre-screening since {since}" in investigator_panel
    assert "Pre-screen the submission" not in investigator_panel
    assert "Accept for review" not in investigator_panel
    assert NOTHING_NEEDED not in investigator_panel


@pytest.mark.django_db
def test_the_panel_reads_in_japanese_alone(client_for, pi, secretariat):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    for user in (pi, secretariat):
        text = panel(page(client_for(user), submission.protocol, language="ja"))
        assert not re.search(r"[A-Za-z]{4,}", text), text
    assert "Waiting for" not in panel(page(client_for(pi), submission.protocol, language="ja"))


@pytest.mark.django_db
def test_an_unanswered_request_is_missing_on_the_page_and_refuses_submit_with_the_same_reason(
    client_for, pi, secretariat
):
    protocol, _first = returned_with(pi, secretariat, "Explain the sample size.")
    reason = "Answer the secretariat's request 1: “Explain the sample size.”"
    assert [item.message for item in application_missing_items(protocol)] == [reason]

    text = panel(page(client_for(pi), protocol))
    assert "The application needs 1 more item before it can be submitted." in text
    assert reason in text
    assert "The application is complete" not in text
    assert "Explain the sample size." in text  # the request, with the form to answer it

    with pytest.raises(services.IncompleteApplication) as refused:
        services.protocol_submit(protocol=protocol, by=pi)
    assert [item.message for item in refused.value.missing] == [reason]
    check = text_of(client_for(pi).get(reverse("protocols:submit", args=[protocol.pk])).content.decode())
    assert reason in check


@pytest.mark.django_db
def test_once_every_request_is_answered_the_page_says_complete_and_submit_succeeds(client_for, pi, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain the sample size.")
    services.request_answer(request=first.requests.get(), by=pi, response="Power analysis attached.")
    assert "The application is complete and can be submitted." in panel(page(client_for(pi), protocol))
    assert services.protocol_submit(protocol=protocol, by=pi).round == 2


@pytest.mark.django_db
def test_the_requests_and_answers_of_every_round_survive_a_resubmission(client_for, pi, secretariat):
    protocol, first = returned_with(pi, secretariat, "Explain the sample size.")
    services.request_answer(request=first.requests.get(), by=pi, response="Power analysis attached.")
    second = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_return(submission=second, by=secretariat, requests=["Attach the CV."])

    html = page(client_for(pi), protocol)
    thread = re.search(r'<section[^>]*id="correspondence".*?</section>', html, re.S)
    assert thread, "the page shows the correspondence"
    text = text_of(thread.group(0))
    assert text.index("Round 1") < text.index("Explain the sample size.") < text.index("Power analysis attached.")
    assert text.index("Power analysis attached.") < text.index("Round 2") < text.index("Attach the CV.")
    assert pi.display_name in text
    # One thread for the chain of rounds.
    assert html.count('class="border rounded p-3 mb-3 correspondence-thread"') == 1


@pytest.mark.django_db
def test_the_history_says_what_each_member_declared_and_whom_the_secretariat_assigned(client_for, pi, secretariat):
    committee = make_committee()
    submission = accepted(pi, secretariat, committee, reviewed=False)
    free, conflicted = seat(committee), seat(committee)
    services.reviewer_assign(submission=submission, by=secretariat, reviewer=free, due_date=timezone.localdate())
    services.conflict_declare(submission=submission, member=free, has_conflict=False, reason="")
    services.conflict_declare(submission=submission, member=conflicted, has_conflict=True, reason="Consults")

    html = page(client_for(secretariat), submission.protocol)
    history = text_of(re.search(r'<section aria-labelledby="history-heading">.*?</section>', html, re.S).group(0))
    assert "Declared no conflict of interest" in history
    assert "Declared a conflict of interest" in history
    assert f"Reviewer assigned: {free.display_name}" in history
    assert "Conflict of interest declared" not in history


@pytest.mark.django_db
def test_the_decision_its_letters_and_the_permission_are_linked_near_the_top(client_for, pi, secretariat):
    committee = make_committee()
    submission = accepted(pi, secretariat, committee)
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    letter = letter_services.letter_issue(decision_id=decision.pk, kind="decision", language="en")
    # An amendment or a new round would put another submission in focus; the decision stays one click away.
    html = page(client_for(pi), submission.protocol)
    top = html[: html.index('id="summary-heading"')]
    assert 'id="decisions"' in top
    assert reverse("letters:download", args=[letter.pk]) in top
    assert f"?submission={submission.pk}#decision" in top


@pytest.mark.django_db
def test_an_approved_protocol_says_when_the_next_report_is_due_instead_of_nothing_needed(client_for, approval, pi):
    with translation.override("en"):
        text = panel(page(client_for(pi), approval.protocol))
    assert "Approved; the next progress report is due on" in text
    assert NOTHING_NEEDED not in text


@pytest.mark.django_db
def test_no_next_step_panel_says_nothing_is_needed(client_for, pi, secretariat):
    protocol, _first = returned_with(pi, secretariat, "Explain the sample size.")
    for user in (pi, secretariat):
        assert NOTHING_NEEDED not in page(client_for(user), protocol)


@pytest.mark.django_db
def test_an_amendment_waits_for_the_unanswered_conditions_on_the_page_and_in_submit(client_for, pi, secretariat):
    # Under the US rule set the approval is in force at once; its conditions are still tracked.
    committee = make_committee("US")
    submission = accepted(pi, secretariat, committee)
    decision = services.decision_record(
        submission=submission,
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Fine.",
        conditions=["Give the helpline number."],
    )
    assert decision.conditions.get().responded_at is None
    protocol = submission.protocol
    services.amendment_start(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    reason = "Answer the committee's condition 1: “Give the helpline number.”"
    assert reason in [item.message for item in application_missing_items(protocol)]
    assert reason in panel(page(client_for(pi), protocol))
    with pytest.raises(services.IncompleteApplication) as refused:
        services.protocol_submit(protocol=protocol, by=pi, changes_summary="A change.")
    assert reason in [item.message for item in refused.value.missing]


def test_every_form_on_the_protocol_page_belongs_to_a_declared_step():
    from research_governance.core.work import declared_steps
    from research_governance.reviews.panels import FORM_STEPS

    declared = {step.code for row in declared_steps() for step in row.steps}
    assert {code for codes in FORM_STEPS.values() for code in codes} <= declared
