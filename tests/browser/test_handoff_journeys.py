"""Work reaches the person who must act, in a real browser, with a real Celery worker sending
the emails: at each hand-off the next person receives one email with an absolute link that
works, signs in fresh, finds the item on their home page ("Waiting for you"), and acts.

The initial application through full-board review (submit, pre-screen, assignment, conflict
declaration and review, meeting notice and votes, decision with conditions, the answer, the
sign-off, the head's permission, the letter), then an amendment and a serious adverse event of
the approved study."""

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from research_governance.accounts.models import Role, User
from research_governance.letters.models import Letter
from research_governance.reviews.models import AgendaItem, Approval, Meeting
from research_governance.reviews.next_steps.decision_steps import ANSWER_CONDITION, PERMIT, SIGN_OFF
from research_governance.reviews.next_steps.review_steps import ACKNOWLEDGE, REVIEW
from research_governance.reviews.next_steps.submission_steps import PRESCREEN

from ..committees.support import make_committee
from ..factories import PASSWORD, UserFactory, make_complete
from ..notifications.test_worker import wait_until
from ..reviews.meeting.support import SIX, vote_all
from .mailbox import Mailbox, decoded_subject, link_in, text_of

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


def en(text: object) -> str:
    """The words the English pages and emails use (the test thread's default language is Japanese)."""
    with translation.override("en"):
        return str(text)


def handed_to(mailbox: Mailbox, user: User, step_label: object, live_url: str, nth: int = 1) -> str:
    """``user`` has received the ``nth`` email handing them this step (and no more), with an
    absolute link to this site; returns the link."""

    def handoffs() -> list:
        return [m for m in mailbox.messages_to(user.email) if en(step_label) in decoded_subject(m)]

    wait_until(
        lambda: len(handoffs()) >= nth,
        f"email {nth} to {user.email} about {en(step_label)!r}",
        lambda: f"They received: {[decoded_subject(m) for m in mailbox.messages_to(user.email)]}",
    )
    found = handoffs()
    assert len(found) == nth, f"{user.email} was told {len(found)} times of {step_label!r}, not {nth}"
    link = link_in(found[-1])
    assert link.startswith(live_url + "/"), link
    return link


def finds_on_home(page: Page, step_label: object, title: str = TITLE) -> None:
    """Signing in lands on "Waiting for you", which lists this step on this study."""
    expect(page).to_have_url(re.compile(r"/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    row = page.locator("[data-work-key]").filter(has_text=title).filter(has_text=en(step_label))
    expect(row).to_have_count(1)


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
    link = handed_to(mailbox, secretariat, PRESCREEN.label, url)

    office = page_for(secretariat)
    finds_on_home(office, PRESCREEN.label)
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

    # The reviewer is told, declares no conflict and reviews.
    link = handed_to(mailbox, reviewer, REVIEW.label, url)
    member = page_for(reviewer)
    finds_on_home(member, REVIEW.label)
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
    decide.get_by_label("Conditions").fill("Shorten the consent form to two pages.")
    decide.get_by_role("button", name="Record decision").click()
    expect(office.get_by_text("The decision was recorded.")).to_be_visible()

    # The investigator is told to answer the condition, once for this transition.
    link = handed_to(mailbox, pi, ANSWER_CONDITION.label, url)
    investigator = page_for(pi)
    finds_on_home(investigator, ANSWER_CONDITION.label)
    investigator.goto(link)
    expect(investigator.locator("#next-step")).to_contain_text(en(ANSWER_CONDITION.label))
    investigator.get_by_label("Your answer").first.fill("The consent form now has two pages (version 2).")
    investigator.get_by_role("button", name="Save answer").click()
    screenshot(investigator, "pi-answered")

    # The secretariat (and the chair) are told to sign it off.
    link = handed_to(mailbox, secretariat, SIGN_OFF.label, url)
    office = page_for(secretariat)
    finds_on_home(office, SIGN_OFF.label)
    office.goto(link)
    conditions = office.locator("#conditions")
    conditions.get_by_role("radio", name="Approval").check()
    conditions.get_by_label("Your password").fill(PASSWORD)
    conditions.get_by_role("button", name="Sign off").click()
    expect(conditions).to_contain_text("Signed off by")

    # The head is told that the permission waits, and permits.
    link = handed_to(mailbox, head, PERMIT.label, url)
    principal = page_for(head)
    finds_on_home(principal, PERMIT.label)
    principal.goto(link)
    expect(principal.locator("#next-step")).to_contain_text(en(PERMIT.label))
    head_form = principal.locator("#head-form")
    head_form.get_by_role("radio", name="Permit the research").check()
    head_form.get_by_role("button", name="Record my decision").click()
    expect(principal.get_by_text("Your decision is recorded.")).to_be_visible()
    screenshot(principal, "head-permitted")

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
    link = handed_to(mailbox, secretariat, PRESCREEN.label, url, nth=2)
    office = page_for(secretariat)
    finds_on_home(office, PRESCREEN.label)
    office.goto(link)
    office.get_by_role("radio", name="Expedited review").check()
    office.get_by_role("button", name="Accept for review").click()
    link = handed_to(mailbox, chair, ACKNOWLEDGE.label, url)
    presiding = page_for(chair)
    finds_on_home(presiding, ACKNOWLEDGE.label)
    presiding.goto(link)
    expect(presiding.locator("#next-step")).to_contain_text(en(ACKNOWLEDGE.label))
    screenshot(presiding, "chair-acknowledges")

    # An amendment: the investigator starts and submits it; the secretariat is told a third time.
    investigator.goto(detail_url)
    investigator.get_by_role("button", name="Start an amendment").click()
    investigator.goto(f"{detail_url}submit/")
    investigator.get_by_label("What changes, and why").fill("A second site joins the study.")
    investigator.get_by_role("button", name="Submit the amendment").click()
    link = handed_to(mailbox, secretariat, PRESCREEN.label, url, nth=3)
    office.goto(link)
    expect(office.locator("#next-step")).to_contain_text(en(PRESCREEN.label))
    expect(office.locator("#next-step")).to_contain_text("Amendment")
