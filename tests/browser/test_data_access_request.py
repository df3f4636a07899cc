"""A data-access request in a real browser, one browser context per person, each signing in
through the real form, with a real Celery worker sending the emails: the requester fills in the
request and sees a failing check explained (a commercial use of data consented for not-for-profit
use, NPU), fixes it, names a colleague on the team, submits; the data access committee's secretary
returns it with a request, the requester answers and submits it again; the secretary accepts it
and assigns a member, who reviews; the secretary records the approval; both parties sign
with their password (US-R-01); the colleague accepts the terms; both have access.

At each hand-off (``agreements.next_steps``) the next person receives one email, in their language
(the requester and the committee's chair read Japanese, the others English), with an absolute link
that opens the request at their step; their home page ("Waiting for you") lists it, and the person
who just acted no longer has their step there. At the end each person's whole inbox is checked:
nobody was told anything twice, nor the decision on top of the hand-off it made."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from research_governance.accounts.models import Role, User
from research_governance.agreements.models import AccessGrant, DataAccessRequest
from research_governance.agreements.next_steps import (
    ACCEPT_TERMS,
    ASSIGN,
    DECIDE,
    PRESCREEN,
    RESUBMIT,
    REVIEW,
    SIGN_PROVIDER,
    SIGN_RECIPIENT,
)
from research_governance.core.work import Step
from research_governance.notifications.messages import MESSAGES

from ..agreements.support import make_dac, make_dataset
from ..committees.support import make_committee
from ..factories import PASSWORD, UserFactory
from ..notifications.test_worker import wait_until
from ..reviews.meeting.support import SIX
from ..reviews.post_approval_support import approve
from .mailbox import Mailbox, en, finds_on_home, go_home, handed_to, in_language_of, not_on_home, subjects_to

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Kidney biomarkers in the questionnaire cohort"


def opens_at(page: Page, link: str, step: Step) -> None:
    """The emailed link, followed in the person's browser, opens the request at their step."""
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#next-step .next-mine")).to_contain_text(en(step.label))


def inbox_is(mailbox: Mailbox, user: User, expected: list[object], reference: str = "") -> None:
    """Everything ``user`` was emailed, oldest first: one email per entry, each subject containing
    the entry in the user's language (with the request's reference filled in), and nothing more."""
    wanted = [in_language_of(user, text) % {"reference": reference} for text in expected]
    wait_until(
        lambda: len(mailbox.messages_to(user.email)) >= len(wanted),
        f"{len(wanted)} emails to {user.email}",
        lambda: f"They received: {subjects_to(mailbox, user)}",
    )
    received = subjects_to(mailbox, user)
    assert len(received) == len(wanted), f"{user.email} received {received}, expected {wanted}"
    for subject, text in zip(received, wanted, strict=True):
        assert text in subject, f"{user.email} received {received}, expected {wanted}"


def test_a_request_goes_from_a_failing_check_to_an_active_grant_telling_each_next_person(
    page_for, live_server, mailbox, screenshot
):
    base = live_server.url
    pi = UserFactory(email="pi@browser.example", name_latin="Pat Provider")
    secretariat = UserFactory(email="erc-secretariat@browser.example", roles=[Role.SECRETARIAT])
    head = UserFactory(email="head@browser.example", roles=[Role.HEAD])
    _committee, seats = make_committee(SIX)
    dataset = make_dataset(approve(pi, secretariat, seats, head), duo_modifiers=["NPU", "IRB"])
    _dac, chair, secretary, members = make_dac()
    reviewer = members[0]
    requester = UserFactory(email="requester@browser.example", name_latin="Rena Requester")
    colleague = UserFactory(email="colleague@browser.example", name_latin="Cole Colleague")
    # The requester and the committee's chair read Japanese (the default); the others English.
    User.objects.filter(pk__in=[secretary.pk, reviewer.pk, colleague.pk]).update(preferred_language="en")
    today = timezone.localdate()

    # The requester fills in the request from the catalogue; the live checks follow the input.
    page = page_for(requester)
    page.goto(f"{base}/data/datasets/")
    page.get_by_role("link", name=re.compile(f"Request.*{dataset.title}")).click()
    expect(page.get_by_label(dataset.title)).to_be_checked()
    page.get_by_label("Project title").fill(TITLE)
    page.get_by_label("Intended use").fill("Association of serum markers with kidney function.")
    page.get_by_label("Purpose").select_option("HMB")
    page.get_by_label("Recipient's ethics approval").fill("ERC-2026-0042")
    page.get_by_label("Recipient institution").fill("Requester University")
    page.get_by_label("Recipient country").fill("JP")
    page.get_by_label("De-identification level to be shared").select_option("non_identifiable")
    page.get_by_label("How the data are provided").select_option("secure_transfer")
    for measure in (
        "Stored only on the approved, access-controlled systems",
        "Access limited to the named team members",
        "Encrypted at rest and in transit",
        "No attempt to re-identify any person, and no linkage that could",
        "Destroyed at the end of the term, and the destruction recorded",
    ):
        page.get_by_label(measure).check()
    page.get_by_label("Access from").fill(today.isoformat())
    page.get_by_label("Access until").fill((today + timedelta(days=180)).isoformat())
    page.get_by_label("Data destroyed by").fill((today + timedelta(days=210)).isoformat())
    page.get_by_label("Other team members").fill(colleague.email)
    page.get_by_label("Commercial use or for-profit recipient").check()
    checks = page.locator("#checks")
    expect(checks).to_contain_text("Some checks fail")
    expect(checks.locator(".check-failed").first).to_contain_text("NPU")
    expect(checks.locator(".check-failed").first).to_contain_text("commercial")

    # Fixed: a not-for-profit use passes.
    page.get_by_label("Commercial use or for-profit recipient").uncheck()
    expect(checks).to_contain_text("All checks pass")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#request-status")).to_have_text("Submitted")
    data_request = DataAccessRequest.objects.get(requester=requester)
    assert data_request.reference

    # Both officers of the committee are told to pre-screen it: the chair's link (in a Japanese
    # email) opens it in the chair's browser too; the secretary pre-screens it.
    chair_link = handed_to(mailbox, chair, PRESCREEN, base)
    presiding = page_for(chair)
    finds_on_home(presiding, PRESCREEN, TITLE)
    opens_at(presiding, chair_link, PRESCREEN)
    link = handed_to(mailbox, secretary, PRESCREEN, base)
    officer = page_for(secretary)
    finds_on_home(officer, PRESCREEN, TITLE)
    opens_at(officer, link, PRESCREEN)

    # The secretary first returns it with a request: the requester (in Japanese) is told to answer
    # it, edits the request and submits it again; both officers are told to pre-screen it again.
    officer.get_by_role("link", name=re.compile("^Return to the requester")).click()
    officer.get_by_label("What the requester must change").fill("Name the server the data will be stored on.")
    officer.get_by_role("button", name="Return the request").click()
    expect(officer.locator("#request-status")).to_have_text("Returned with requests")
    for person in (presiding, officer):
        not_on_home(person, PRESCREEN, TITLE)
    link = handed_to(mailbox, requester, RESUBMIT, base)
    go_home(page)
    finds_on_home(page, RESUBMIT, TITLE)
    opens_at(page, link, RESUBMIT)
    expect(page.locator("#next-step")).to_contain_text("Name the server the data will be stored on.")
    page.get_by_role("link", name="Edit the request").click()
    page.get_by_label("Security notes").fill("Stored on the university's research server RS-2.")
    page.get_by_role("button", name="Save the draft").click()
    page.get_by_role("button", name="Submit the request").click()
    expect(page.locator("#request-status")).to_have_text("Submitted")
    not_on_home(page, RESUBMIT, TITLE)
    handed_to(mailbox, chair, PRESCREEN, base, nth=2)
    link = handed_to(mailbox, secretary, PRESCREEN, base, nth=2)
    for person in (presiding, officer):
        go_home(person)
        finds_on_home(person, PRESCREEN, TITLE)
    opens_at(officer, link, PRESCREEN)
    officer.get_by_role("button", name="Accept for review").click()
    expect(officer.locator("#request-status")).to_have_text("Under review by the data access committee")

    # Assigning a reviewer waits for the officers: the chair is told, the secretary (who gave
    # themself the work) is not, but finds it at home. Pre-screening has left both lists.
    handed_to(mailbox, chair, ASSIGN, base)
    for person in (presiding, officer):
        not_on_home(person, PRESCREEN, TITLE)
        finds_on_home(person, ASSIGN, TITLE)
    opens_at(officer, f"{base}/data/requests/{data_request.pk}/", ASSIGN)
    officer.get_by_label("Reviewer", exact=True).select_option(str(reviewer.pk))
    officer.get_by_role("button", name="Assign").click()
    for person in (presiding, officer):
        not_on_home(person, ASSIGN, TITLE)

    # The member is told to review, and does.
    link = handed_to(mailbox, reviewer, REVIEW, base)
    member = page_for(reviewer)
    finds_on_home(member, REVIEW, TITLE)
    opens_at(member, link, REVIEW)
    member.get_by_role("link", name="Write your review").click()
    member.get_by_label("Approve", exact=True).check()
    member.get_by_label("Comments for the committee").fill("Within the consent; security measures adequate.")
    member.get_by_role("button", name="Submit your review").click()
    not_on_home(member, REVIEW, TITLE)

    # Both officers are told the decision waits; the secretary records the approval.
    handed_to(mailbox, chair, DECIDE, base)
    link = handed_to(mailbox, secretary, DECIDE, base)
    for person in (presiding, officer):
        go_home(person)
        finds_on_home(person, DECIDE, TITLE)
    opens_at(officer, link, DECIDE)
    officer.get_by_role("link", name="Record the decision").click()
    officer.get_by_label("Approve", exact=True).check()
    officer.get_by_label("Reasons").fill("Within the consent given; the checks pass.")
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator("#agreement-status")).to_have_text("Awaiting signatures")
    for person in (presiding, officer):
        not_on_home(person, DECIDE, TITLE)

    # The requester is told (in Japanese) to sign for the recipient, and the colleague (in
    # English) to accept the terms.
    colleague_link = handed_to(mailbox, colleague, ACCEPT_TERMS, base)
    link = handed_to(mailbox, requester, SIGN_RECIPIENT, base)
    go_home(page)
    finds_on_home(page, SIGN_RECIPIENT, TITLE)
    opens_at(page, link, SIGN_RECIPIENT)
    page.get_by_role("link", name="Sign for the recipient").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the agreement").click()
    expect(page.locator("#agreement-status")).to_have_text("Awaiting signatures")
    not_on_home(page, SIGN_RECIPIENT, TITLE)

    # Both officers are told to sign for the provider; the chair's link opens the signature, the
    # secretary signs and the agreement comes into force.
    chair_link = handed_to(mailbox, chair, SIGN_PROVIDER, base)
    link = handed_to(mailbox, secretary, SIGN_PROVIDER, base)
    for person in (presiding, officer):
        go_home(person)
        finds_on_home(person, SIGN_PROVIDER, TITLE)
    opens_at(presiding, chair_link, SIGN_PROVIDER)
    opens_at(officer, link, SIGN_PROVIDER)
    officer.get_by_role("link", name="Sign for the provider").click()
    officer.get_by_label("Your password").fill(PASSWORD)
    officer.get_by_role("button", name="Sign the agreement").click()
    expect(officer.locator("#agreement-status")).to_have_text("Active")
    for person in (presiding, officer):
        not_on_home(person, SIGN_PROVIDER, TITLE)
    screenshot(officer, "officer-signed")

    # The colleague, told of the terms once (the agreement coming into force tells them it is in
    # force, not the step again), follows the link and accepts them.
    in_force = MESSAGES["agreement.active"].subject
    reference = data_request.reference
    inbox_is(mailbox, colleague, [ACCEPT_TERMS.label, in_force], reference)
    team_member = page_for(colleague)
    finds_on_home(team_member, ACCEPT_TERMS, TITLE)
    opens_at(team_member, colleague_link, ACCEPT_TERMS)
    team_member.locator("#next-step").get_by_role("button", name="Accept the terms").click()
    expect(team_member.locator("#agreement-grants")).to_contain_text("Cole Colleague")
    not_on_home(team_member, ACCEPT_TERMS, TITLE)

    # The requester and the colleague see their grants.
    data_request.refresh_from_db()
    for person in (page, team_member):
        person.goto(f"{base}/data/access/")
        expect(person.get_by_role("main")).to_contain_text(data_request.agreement.reference)
        expect(person.get_by_role("main")).to_contain_text("Active")
    assert AccessGrant.objects.get(user=requester).is_active()
    assert AccessGrant.objects.get(user=colleague).is_active()
    screenshot(page, "requester-access")

    # Everyone's whole inbox: each hand-off once, in their language, and no decision email on top
    # of the signature it asked for. The secretary is not told of what they did or gave themself.
    inbox_is(mailbox, requester, [RESUBMIT.label, SIGN_RECIPIENT.label, in_force], reference)
    told_chair = [PRESCREEN.label, PRESCREEN.label, ASSIGN.label, DECIDE.label, SIGN_PROVIDER.label, in_force]
    inbox_is(mailbox, chair, told_chair, reference)
    inbox_is(mailbox, secretary, [PRESCREEN.label, PRESCREEN.label, DECIDE.label, SIGN_PROVIDER.label])
    inbox_is(mailbox, reviewer, [REVIEW.label])
    inbox_is(mailbox, colleague, [ACCEPT_TERMS.label, in_force], reference)
    for other in members[1:]:
        inbox_is(mailbox, other, [])
