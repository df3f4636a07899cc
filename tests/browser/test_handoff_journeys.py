"""Work reaches the person who must act, in a real browser, with a real Celery worker sending
the emails: at each hand-off the next person receives one email with an absolute link that
works, signs in fresh, finds the item on their home page ("Waiting for you"), and acts.

The initial application through full-board review (submit, pre-screen, assignment, conflict
declaration and review, meeting notice and votes, decision with conditions, the answer, the
sign-off, the head's permission, the letter), then a serious adverse event of the approved study,
and an amendment through expedited review to its decision, which the investigator is told."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from research_governance.accounts.models import Role, User
from research_governance.letters.models import Letter
from research_governance.reviews.models import AgendaItem, Approval, Meeting
from research_governance.reviews.next_steps.decision_steps import ANSWER_CONDITION, PERMIT, SIGN_OFF
from research_governance.reviews.next_steps.review_steps import ACKNOWLEDGE, ASSIGN, DECIDE, REVIEW
from research_governance.reviews.next_steps.submission_steps import PRESCREEN

from ..committees.support import make_committee
from ..factories import PASSWORD, UserFactory, make_complete
from ..notifications.test_worker import wait_until
from ..reviews.meeting.support import SIX, vote_all
from .mailbox import en, finds_on_home, go_home, handed_to, not_on_home, text_of

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "Sleep and memory in shift workers"
CHECKLIST = (
    "Scientific validity",
    "Risk and benefit",
    "Consent and its documents",
    "Privacy and data handling",
    "AI and automated analysis",
    "Conflicts of interest",
)


def test_an_initial_application_goes_from_person_to_person_through_full_board_review(
    live_server, page_for, mailbox, screenshot
):
    url = live_server.url
    committee, members = make_committee(SIX)
    pi = UserFactory(email="pi@test.example", name_latin="Pat Investigator")
    secretariat = UserFactory(
        email="secretariat@test.example",
        name_latin="Sam Secretariat",
        roles=[Role.SECRETARIAT],
        preferred_language="en",
    )
    head = UserFactory(email="head@test.example", name_latin="Hana Head", roles=[Role.HEAD], preferred_language="en")
    chair = UserFactory(
        email="chair@test.example", name_latin="Chris Chair", roles=[Role.CHAIR], preferred_language="en"
    )
    reviewer = members[0].user
    # Everyone reads English, so the emails' subjects name the steps in the words the test knows.
    User.objects.update(preferred_language="en")
    protocol = make_complete(pi, title_en=TITLE)
    detail_url = f"{url}/protocols/{protocol.pk}/"

    # The investigator submits; the secretariat is told to pre-screen it.
    investigator = page_for(pi)
    investigator.goto(detail_url)
    investigator.get_by_role("link", name="Check and submit").click()
    investigator.get_by_role("button", name="Submit to the ethics committee").click()
    expect(investigator.locator("#protocol-status")).to_have_text("Submitted")
    expect(investigator.locator("#next-step")).to_contain_text("Waiting for the secretariat")
    link = handed_to(mailbox, secretariat, PRESCREEN, url)

    office = page_for(secretariat)
    finds_on_home(office, PRESCREEN, TITLE)
    office.goto(link)
    expect(office.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(office.locator("#next-step")).to_contain_text(en(PRESCREEN.label))
    office.get_by_role("radio", name="Full-board review").check()
    office.get_by_role("button", name="Accept for review").click()
    expect(office.locator("#protocol-status")).to_have_text("In review")
    reviewers = office.locator("#reviewers")
    reviewers.get_by_label("Reviewer").select_option(label=reviewer.name_latin)
    reviewers.get_by_label("Due").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    reviewers.get_by_role("button", name="Assign").click()
    expect(office.get_by_text("Reviewer assigned.")).to_be_visible()
    screenshot(office, "secretariat-assigned")
    not_on_home(office, PRESCREEN, TITLE)

    # The reviewer is told, declares no conflict and reviews.
    link = handed_to(mailbox, reviewer, REVIEW, url)
    member = page_for(reviewer)
    finds_on_home(member, REVIEW, TITLE)
    member.goto(link)
    expect(member.get_by_role("heading", level=1)).to_have_text("Before you review: conflicts of interest")
    member.get_by_role("radio", name="No").check()
    member.get_by_role("button", name="Declare").click()
    for section in CHECKLIST:
        member.get_by_role("group", name=re.compile(f"^{re.escape(section)}")).get_by_role(
            "radio", name="Adequate"
        ).check()
    member.get_by_role("group", name=re.compile("^Recommendation")).get_by_role(
        "radio", name="Approve", exact=True
    ).check()
    member.get_by_label("Summary for the committee").fill("Sound design; ask for a shorter consent form.")
    member.get_by_role("button", name="Submit review").click()
    expect(member.get_by_text("Review submitted. Thank you.")).to_be_visible()
    not_on_home(member, REVIEW, TITLE)

    # The secretariat schedules a meeting and puts the submission on its agenda: every member
    # receives the notice with the agenda.
    office.goto(f"{url}/committees/{committee.pk}/meetings/")
    when = timezone.localtime() + timedelta(hours=1)
    office.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    office.get_by_label("Location").fill("Room 1")
    office.get_by_role("button", name="Schedule").click()
    expect(office.get_by_text("The meeting was scheduled.")).to_be_visible()
    meeting = Meeting.objects.get(committee=committee)
    meeting_url = f"{url}/committees/{committee.pk}/meetings/{meeting.pk}/"
    attendance = office.locator("#attendance-form")
    boxes = attendance.get_by_role("checkbox")
    for index in range(len(members)):
        boxes.nth(index).check()
    attendance.get_by_role("button", name="Save attendance").click()
    agenda = office.locator("#agenda-form")
    agenda.get_by_label("Submission").select_option(label=f"Initial application – {TITLE}")
    agenda.get_by_role("button", name="Add").click()
    expect(office.get_by_text("The submission was put on the agenda.")).to_be_visible()
    # The reviewer's second email: the notice with the agenda naming the study.
    wait_until(
        lambda: any("Room 1" in text_of(m) and TITLE in text_of(m) for m in mailbox.messages_to(reviewer.email)),
        "the meeting notice with its agenda",
        mailbox.output,
    )

    # The members vote and the secretariat records an approval with a condition.
    item = AgendaItem.objects.get(meeting=meeting)
    vote_all(item, members, ["for"] * 6)
    office.goto(f"{meeting_url}items/{item.pk}/")
    decide = office.locator("#decide-form")
    decide.get_by_label("Outcome").select_option(label="Approve with conditions")
    decide.get_by_label("Reasons").fill("Sound design; minimal risk.")
    decide.get_by_role("textbox", name="Conditions").fill("Shorten the consent form to two pages.")
    decide.get_by_role("button", name="Record decision").click()
    expect(office.get_by_text("The decision was recorded.")).to_be_visible()

    # The investigator is told to answer the condition, once for this transition.
    link = handed_to(mailbox, pi, ANSWER_CONDITION, url)
    investigator = page_for(pi)
    finds_on_home(investigator, ANSWER_CONDITION, TITLE)
    investigator.goto(link)
    expect(investigator.locator("#next-step")).to_contain_text(en(ANSWER_CONDITION.label))
    investigator.get_by_label("Your answer").first.fill("The consent form now has two pages (version 2).")
    investigator.get_by_role("button", name="Save answer").click()
    screenshot(investigator, "pi-answered")
    not_on_home(investigator, ANSWER_CONDITION, TITLE)

    # The secretariat (and the chair) are told to sign it off.
    link = handed_to(mailbox, secretariat, SIGN_OFF, url)
    office = page_for(secretariat)
    finds_on_home(office, SIGN_OFF, TITLE)
    office.goto(link)
    conditions = office.locator("#conditions")
    conditions.get_by_role("radio", name="Approval").check()
    conditions.get_by_label("Your password").fill(PASSWORD)
    conditions.get_by_role("button", name="Sign off").click()
    expect(conditions).to_contain_text("Signed off by")
    not_on_home(office, SIGN_OFF, TITLE)

    # The head is told that the permission waits, and permits.
    link = handed_to(mailbox, head, PERMIT, url)
    principal = page_for(head)
    finds_on_home(principal, PERMIT, TITLE)
    principal.goto(link)
    expect(principal.locator("#next-step")).to_contain_text(en(PERMIT.label))
    head_form = principal.locator("#head-form")
    head_form.get_by_role("radio", name="Permit the research").check()
    head_form.get_by_role("button", name="Record my decision").click()
    expect(principal.get_by_text("Your decision is recorded.")).to_be_visible()
    screenshot(principal, "head-permitted")
    not_on_home(principal, PERMIT, TITLE)

    # The worker renders the letter; the investigator finds it one click from the protocol page.
    approval = Approval.objects.get(protocol=protocol)
    wait_until(lambda: Letter.objects.filter(decision=approval.decision).exists(), "the letter", mailbox.output)
    investigator.goto(detail_url)
    expect(investigator.locator("#protocol-status")).to_have_text("Approved")
    letter_link = investigator.locator("#decisions a[href*='/letters/']").first
    expect(letter_link).to_be_visible()
    letter = investigator.request.get(url + letter_link.get_attribute("href"))
    assert letter.headers["content-type"] == "application/pdf"
    letter_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(letter.body())).pages)
    protocol.refresh_from_db()
    assert protocol.reference
    assert protocol.reference in letter_text
    screenshot(investigator, "pi-approved")

    # A serious adverse event of the approved study: the secretariat pre-screens it, the chair
    # acknowledges it; each is told.
    investigator.get_by_role("link", name="Serious adverse event").click()
    today = timezone.localdate().isoformat()
    investigator.get_by_label("Date it occurred").fill(today)
    investigator.get_by_label("Date the investigator learned of it").fill(today)
    investigator.get_by_label("Causality").select_option(label="Possibly related")
    investigator.get_by_label("What happened").fill("A participant fainted during the night shift test.")
    investigator.get_by_label("Actions taken").fill("Testing paused for that participant.")
    investigator.get_by_role("button", name="Submit the report").click()
    link = handed_to(mailbox, secretariat, PRESCREEN, url, nth=2)
    office = page_for(secretariat)
    finds_on_home(office, PRESCREEN, TITLE)
    office.goto(link)
    office.get_by_role("radio", name="Expedited review").check()
    office.get_by_role("button", name="Accept for review").click()
    expect(office.locator("#next-step")).to_contain_text(en(ACKNOWLEDGE.label))
    not_on_home(office, PRESCREEN, TITLE)
    link = handed_to(mailbox, chair, ACKNOWLEDGE, url)
    presiding = page_for(chair)
    finds_on_home(presiding, ACKNOWLEDGE, TITLE)
    presiding.goto(link)
    expect(presiding.locator("#next-step")).to_contain_text(en(ACKNOWLEDGE.label))
    screenshot(presiding, "chair-acknowledges")

    # An amendment: the investigator starts and submits it; the secretariat is told a third time.
    investigator.goto(detail_url)
    investigator.get_by_role("button", name="Start an amendment").click()
    investigator.goto(f"{detail_url}submit/")
    investigator.get_by_label("What changes, and why").fill("A second site joins the study.")
    investigator.get_by_role("button", name="Submit the amendment").click()
    link = handed_to(mailbox, secretariat, PRESCREEN, url, nth=3)
    go_home(office)
    finds_on_home(office, PRESCREEN, TITLE)
    office.goto(link)
    expect(office.locator("#next-step")).to_contain_text(en(PRESCREEN.label))
    expect(office.locator("#next-step")).to_contain_text("Amendment")

    # The secretariat routes it to expedited review and assigns the reviewer: assigning is the
    # secretariat's own next step (nobody is emailed of it), and pre-screening has left its list.
    office.get_by_role("radio", name="Expedited review").check()
    office.get_by_role("button", name="Accept for review").click()
    expect(office.locator("#next-step")).to_contain_text(en(ASSIGN.label))
    reviewers = office.locator("#reviewers")
    reviewers.get_by_label("Reviewer").select_option(label=reviewer.name_latin)
    reviewers.get_by_label("Due").fill((timezone.localdate() + timedelta(days=7)).isoformat())
    reviewers.get_by_role("button", name="Assign").click()
    expect(office.get_by_text("Reviewer assigned.")).to_be_visible()
    not_on_home(office, PRESCREEN, TITLE)
    not_on_home(office, ASSIGN, TITLE)

    # The reviewer is told a second time, declares no conflict for this submission and reviews.
    link = handed_to(mailbox, reviewer, REVIEW, url, nth=2)
    member = page_for(reviewer)
    finds_on_home(member, REVIEW, TITLE)
    member.goto(link)
    expect(member.get_by_role("heading", level=1)).to_have_text("Before you review: conflicts of interest")
    member.get_by_role("radio", name="No").check()
    member.get_by_role("button", name="Declare").click()
    for section in CHECKLIST:
        member.get_by_role("group", name=re.compile(f"^{re.escape(section)}")).get_by_role(
            "radio", name="Adequate"
        ).check()
    member.get_by_role("group", name=re.compile("^Recommendation")).get_by_role(
        "radio", name="Approve", exact=True
    ).check()
    member.get_by_label("Summary for the committee").fill("The second site is fine; name its contact person.")
    member.get_by_role("button", name="Submit review").click()
    expect(member.get_by_text("Review submitted. Thank you.")).to_be_visible()
    not_on_home(member, REVIEW, TITLE)

    # Both officers who may decide an expedited submission are told, once each; the secretariat decides.
    handed_to(mailbox, chair, DECIDE, url)
    link = handed_to(mailbox, secretariat, DECIDE, url)
    go_home(office)
    finds_on_home(office, DECIDE, TITLE)
    office.goto(link)
    decide = office.locator("#decide")
    decide.get_by_role("radio", name="Approve with conditions").check()
    decide.get_by_label("Reasons").fill("The second site meets the requirements.")
    decide.get_by_role("textbox", name="Conditions").fill("Name the second site's contact person.")
    decide.get_by_role("button", name="Record the decision").click()
    expect(office.get_by_text("Decision recorded. The applicants have been notified.")).to_be_visible()
    not_on_home(office, DECIDE, TITLE)
    screenshot(office, "secretariat-decided-amendment")

    # The investigator is told to answer the amendment's condition (the second decision with
    # conditions they are told of), finds it at home, and the link opens it.
    link = handed_to(mailbox, pi, ANSWER_CONDITION, url, nth=2)
    investigator = page_for(pi)
    finds_on_home(investigator, ANSWER_CONDITION, TITLE)
    investigator.goto(link)
    expect(investigator.locator("#next-step")).to_contain_text(en(ANSWER_CONDITION.label))
    expect(investigator.get_by_text("Name the second site's contact person.").first).to_be_visible()
    screenshot(investigator, "pi-told-of-amendment-decision")
