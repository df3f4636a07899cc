"""A data-access request in a real browser, one browser context per person, each signing in
through the real form: the requester fills in the request and sees a failing check explained
(a commercial use of data consented for not-for-profit use, NPU), fixes it, submits; the data
access committee's secretary accepts it and assigns a member, who reviews; the secretary records
the approval; both parties sign with their password (US-R-01); the requester sees the grant."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from research_governance.accounts.models import Role
from research_governance.agreements.models import AccessGrant, DataAccessRequest

from ..agreements.support import make_dac, make_dataset
from ..committees.support import make_committee
from ..factories import PASSWORD, UserFactory
from ..reviews.meeting.support import SIX
from ..reviews.post_approval_support import approve

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_request_goes_from_a_failing_check_to_an_active_grant(page_for, live_server):
    base = live_server.url
    pi = UserFactory(email="pi@browser.example", name_latin="Pat Provider")
    secretariat = UserFactory(email="erc-secretariat@browser.example", roles=[Role.SECRETARIAT])
    head = UserFactory(email="head@browser.example", roles=[Role.HEAD])
    _committee, seats = make_committee(SIX)
    dataset = make_dataset(approve(pi, secretariat, seats, head), duo_modifiers=["NPU", "IRB"])
    _dac, _chair, secretary, members = make_dac()
    reviewer = members[0]
    requester = UserFactory(email="requester@browser.example", name_latin="Rena Requester")
    today = timezone.localdate()

    # The requester fills in the request from the catalogue; the live checks follow the input.
    page = page_for(requester)
    page.goto(f"{base}/data/datasets/")
    page.get_by_role("link", name=re.compile(f"Request.*{dataset.title}")).click()
    expect(page.get_by_label(dataset.title)).to_be_checked()
    page.get_by_label("Project title").fill("Kidney biomarkers in the questionnaire cohort")
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

    # The committee's secretary accepts the request and assigns a member.
    officer = page_for(secretary)
    officer.goto(f"{base}/data/committee/queue/")
    officer.get_by_role("link", name=data_request.title).click()
    officer.get_by_role("button", name="Accept for review").click()
    officer.get_by_label("Reviewer", exact=True).select_option(str(reviewer.pk))
    officer.get_by_role("button", name="Assign").click()

    member = page_for(reviewer)
    member.goto(f"{base}/data/requests/{data_request.pk}/")
    member.get_by_role("link", name="Write your review").click()
    member.get_by_label("Approve", exact=True).check()
    member.get_by_label("Comments for the committee").fill("Within the consent; security measures adequate.")
    member.get_by_role("button", name="Submit your review").click()

    officer.goto(f"{base}/data/requests/{data_request.pk}/")
    officer.get_by_role("link", name="Record the decision").click()
    officer.get_by_label("Approve", exact=True).check()
    officer.get_by_label("Reasons").fill("Within the consent given; the checks pass.")
    officer.get_by_role("button", name="Record the decision").click()
    expect(officer.locator("#agreement-status")).to_have_text("Awaiting signatures")

    # Both parties sign with their password; the agreement comes into force.
    page.goto(f"{base}/data/requests/{data_request.pk}/")
    page.get_by_role("link", name="Sign for the recipient").click()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Sign the agreement").click()
    officer.goto(f"{base}/data/requests/{data_request.pk}/")
    officer.get_by_role("link", name="Sign for the provider").click()
    officer.get_by_label("Your password").fill(PASSWORD)
    officer.get_by_role("button", name="Sign the agreement").click()
    expect(officer.locator("#agreement-status")).to_have_text("Active")

    # The requester sees the grant.
    page.goto(f"{base}/data/access/")
    expect(page.get_by_role("main")).to_contain_text(data_request.agreement.reference)
    expect(page.get_by_role("main")).to_contain_text("Active")
    grant = AccessGrant.objects.get(user=requester)
    assert grant.is_active()
