"""The full-board path in a real browser, one browser context per person, each signing in
through the real form: the investigator submits, the secretariat accepts on the full-board
route and assigns a committee member, the member declares no conflict and reviews, the
secretariat schedules a meeting, records attendance and puts the submission on the agenda,
the members vote, the secretariat records the decision, the head of institution permits,
and the investigator sees the approval."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from research_governance.accounts.models import Role
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews.models import AgendaItem, Approval, Meeting

from ..committees.support import make_committee
from ..factories import UserFactory, make_complete
from ..reviews.meeting.support import SIX, vote_all

pytestmark = pytest.mark.django_db(transaction=True)

CHECKLIST = (
    "Scientific validity",
    "Risk and benefit",
    "Consent and its documents",
    "Privacy and data handling",
    "AI and automated analysis",
    "Conflicts of interest",
)


def test_full_board_path_from_submission_to_approval(live_server, page_for, screenshot):
    url = live_server.url
    committee, members = make_committee(SIX)  # at test-university, like every factory user
    pi = UserFactory(email="pi@test.example", name_latin="Pat Investigator")
    secretariat = UserFactory(email="secretariat@test.example", name_latin="Sam Secretariat", roles=[Role.SECRETARIAT])
    head = UserFactory(email="head@test.example", name_latin="Hana Head", roles=[Role.HEAD])
    reviewer = members[0].user
    protocol = make_complete(pi, title_en="Sleep and memory in shift workers")
    detail_url = f"{url}/protocols/{protocol.pk}/"

    # --- the investigator submits ------------------------------------------------------------
    investigator = page_for(pi)
    investigator.goto(detail_url)
    expect(investigator.locator("#protocol-status")).to_have_text("Draft")
    investigator.get_by_role("link", name="Check and submit").click()
    expect(investigator.get_by_role("heading", level=1)).to_have_text("Check and submit")
    investigator.get_by_role("button", name="Submit to the ethics committee").click()
    # Back on the protocol page, about the submission just made.
    expect(investigator).to_have_url(re.compile(re.escape(detail_url) + r"\?submission=\d+$"))
    expect(investigator.locator("#protocol-status")).to_have_text("Submitted")
    screenshot(investigator, "pi-submitted")

    # --- the secretariat accepts on the full-board route and assigns a reviewer --------------
    office = page_for(secretariat)
    office.get_by_role("link", name="Secretariat").click()
    office.get_by_role("link", name="Sleep and memory in shift workers").click()
    expect(office).to_have_url(re.compile(re.escape(detail_url) + r"\?submission=\d+$"))
    office.get_by_role("radio", name="Full-board review").check()
    office.get_by_role("button", name="Accept for review").click()
    expect(office.locator("#protocol-status")).to_have_text("In review")
    reviewers = office.locator("#reviewers")
    reviewers.get_by_label("Reviewer").select_option(label=reviewer.name_latin)
    reviewers.get_by_label("Due").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    reviewers.get_by_role("button", name="Assign").click()
    expect(office.get_by_text("Reviewer assigned.")).to_be_visible()
    expect(office.locator("#reviewers").get_by_role("row", name=re.compile(reviewer.name_latin))).to_be_visible()
    screenshot(office, "secretariat-assigned")

    # --- the reviewer declares no conflict, fills in the checklist and submits ---------------
    member = page_for(reviewer)
    member.get_by_role("link", name="My reviews").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("My reviews")
    member.get_by_role("link", name="Sleep and memory in shift workers").click()
    expect(member.get_by_role("heading", level=1)).to_have_text("Before you review: conflicts of interest")
    member.get_by_role("radio", name="No").check()
    member.get_by_role("button", name="Declare").click()
    expect(member.get_by_role("heading", name="Your review")).to_be_visible()
    for section in CHECKLIST:
        member.get_by_role("group", name=re.compile(f"^{re.escape(section)}")).get_by_role(
            "radio", name="Adequate"
        ).check()
    member.get_by_role("group", name=re.compile("^Recommendation")).get_by_role(
        "radio", name="Approve", exact=True
    ).check()
    member.get_by_label("Summary for the committee").fill("Sound design and a clear consent form.")
    screenshot(member, "reviewer-checklist")
    member.get_by_role("button", name="Submit review").click()
    expect(member.get_by_text("Review submitted. Thank you.")).to_be_visible()
    expect(member.get_by_role("row", name=re.compile("Sleep and memory"))).to_contain_text("Review submitted")
    screenshot(member, "reviewer-submitted")

    # --- the secretariat schedules a meeting, records attendance, sets the agenda ------------
    office.get_by_role("link", name="Committees").click()
    office.get_by_role("link", name=re.compile("Ethics Committee|erc")).first.click()
    office.get_by_role("link", name="Meetings").first.click()
    when = timezone.localtime() + timedelta(hours=1)
    office.get_by_label("Date and time").fill(when.strftime("%Y-%m-%dT%H:%M"))
    office.get_by_label("Location").fill("Room 1")
    office.get_by_role("button", name="Schedule").click()
    expect(office.get_by_text("The meeting was scheduled.")).to_be_visible()
    meeting = Meeting.objects.get(committee=committee)
    meeting_url = f"{url}/committees/{committee.pk}/meetings/{meeting.pk}/"
    expect(office).to_have_url(meeting_url)

    attendance = office.locator("#attendance-form")
    boxes = attendance.get_by_role("checkbox")
    expect(boxes).to_have_count(len(members))
    for index in range(len(members)):
        boxes.nth(index).check()
    attendance.get_by_role("button", name="Save attendance").click()
    expect(office.get_by_text("The attendance was recorded.")).to_be_visible()
    for seat in members:
        expect(office.locator("#attendance")).to_contain_text(f"{seat.user.name_latin} (Member): present")

    agenda = office.locator("#agenda-form")
    agenda.get_by_label("Submission").select_option(label="Initial application – Sleep and memory in shift workers")
    agenda.get_by_role("button", name="Add").click()
    expect(office.get_by_text("The submission was put on the agenda.")).to_be_visible()
    expect(office.locator("#agenda")).to_contain_text("Sleep and memory in shift workers")
    screenshot(office, "secretariat-meeting")
    item = AgendaItem.objects.get(meeting=meeting)
    item_url = f"{meeting_url}items/{item.pk}/"

    # --- the members vote: the reviewer in the browser, the other five through the service ---
    member.goto(meeting_url)
    member.get_by_role("link", name="Sleep and memory in shift workers").click()
    expect(member).to_have_url(item_url)
    expect(member.get_by_role("heading", name="The meeting is quorate for this item.")).to_be_visible()
    member.get_by_role("radio", name="For").check()
    member.get_by_role("button", name="Cast vote").click()
    expect(member.get_by_text("Your vote was recorded.")).to_be_visible()
    expect(member.get_by_text("You voted: For.")).to_be_visible()
    screenshot(member, "member-voted")
    vote_all(item, members[1:], ["for"] * 5)

    # --- the secretariat records the decision at the meeting item ----------------------------
    office.goto(item_url)
    expect(office.locator("#tally")).to_have_text("For 6 · against 0 · abstain 0")
    decide = office.locator("#decide-form")
    decide.get_by_label("Outcome").select_option(label="Approve")
    decide.get_by_label("Reasons").fill("Sound design; minimal risk.")
    decide.get_by_role("button", name="Record decision").click()
    expect(office.get_by_text("The decision was recorded.")).to_be_visible()
    expect(office.locator("#decision")).to_contain_text("Approve")
    screenshot(office, "secretariat-decided")
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.AWAITING_PERMISSION

    # --- the head of institution permits ------------------------------------------------------
    principal = page_for(head)
    principal.get_by_role("link", name="Awaiting my permission").click()
    expect(principal.get_by_role("heading", level=1)).to_have_text("Awaiting my permission")
    principal.get_by_role("link", name="Sleep and memory in shift workers").click()
    expect(principal.locator("#protocol-status")).to_have_text("Awaiting the head's permission")
    head_form = principal.locator("#head-form")
    head_form.get_by_role("radio", name="Permit the research").check()
    head_form.get_by_role("button", name="Record my decision").click()
    expect(principal.get_by_text("Your decision is recorded.")).to_be_visible()
    expect(principal.locator("#permission")).to_contain_text("Permitted")
    screenshot(principal, "head-permitted")

    # --- the investigator sees the approval ---------------------------------------------------
    approval = Approval.objects.get(protocol=protocol)
    investigator.reload()
    expect(investigator.locator("#protocol-status")).to_have_text("Approved")
    expect(investigator.locator("#decision-outcome")).to_have_text("Approve")
    approval_list = investigator.locator("#approval")
    expect(approval_list).to_contain_text(approval.reference)
    expect(approval_list).to_contain_text(f"{approval.valid_from:%Y-%m-%d} – {approval.valid_until:%Y-%m-%d}")
    expect(approval_list).to_contain_text("Active")
    screenshot(investigator, "pi-approved")
