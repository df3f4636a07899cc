"""A member of the public, without signing in, finds a study's opt-out notice, reads it in
Japanese and in English, refuses the use of their information (a mistake first, then correctly)
and gets a receipt; the PI then sees the refusal (JP-IC-10, JP-IC-11)."""

import re

import pytest
from playwright.sync_api import Page, expect

from research_governance.agreements.models import SubjectRefusal
from tests.agreements.refusal_support import NOTICE_TEXT_V1, TITLE_EN, TITLE_JA, approve_opt_out
from tests.committees.support import make_committee
from tests.reviews.meeting.support import SIX

from ..factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notice(transactional_db, pi, secretariat):
    from research_governance.accounts.models import Role

    _committee, seats = make_committee(SIX)
    head = UserFactory(email="head@notices.example", roles=[Role.HEAD])
    return approve_opt_out(pi, secretariat, seats, head, recipients=[("Boston Data Lab", "US")])


def switch_language(page: Page, code: str) -> None:
    # The switcher submits on change (static/js/app.js); its button is there for no-JS use.
    with page.expect_navigation():
        page.locator("#language-select").select_option(code)


def test_a_visitor_reads_a_notice_in_both_languages_and_refuses(page: Page, live_server, notice, pi, screenshot):
    base = live_server.url
    page.goto(f"{base}/")
    # The footer links to the notices from every page, for everyone.
    page.get_by_role("link", name="Public notices of studies (opt-out)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Public notices of studies")
    page.get_by_role("link", name=TITLE_EN).click()
    expect(page.locator("#notice-title")).to_have_text(TITLE_EN)
    expect(page.locator("#notice-text")).to_contain_text(NOTICE_TEXT_V1)
    expect(page.locator("#foreign-provision")).to_contain_text("Boston Data Lab, in US")
    expect(page.locator("#notice-version")).to_contain_text("Version 1, in force since")
    screenshot(page, "notice-en")

    switch_language(page, "ja")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.locator("#notice-title")).to_have_text(TITLE_JA)
    screenshot(page, "notice-ja")
    switch_language(page, "en")
    expect(page.locator("#notice-title")).to_have_text(TITLE_EN)

    # A first try without saying how to reach them: the error, and what was typed is kept.
    page.locator("#id_contact_name").fill("Hanako Yamada")
    page.locator("#id_details").fill("Patient ID 123456, visits in 2021")
    page.locator("#id_confirm").check()
    page.get_by_role("button", name="Send my refusal").click()
    expect(page.locator("#id_contact_details_error")).to_contain_text("This field is required.")
    expect(page.locator("#id_contact_name")).to_have_value("Hanako Yamada")
    expect(page.locator("#id_details")).to_have_value("Patient ID 123456, visits in 2021")
    screenshot(page, "refusal-error")
    assert not SubjectRefusal.objects.exists()

    page.locator("#id_contact_details").fill("03-1234-5678")
    if not page.locator("#id_confirm").is_checked():
        page.locator("#id_confirm").check()
    page.get_by_role("button", name="Send my refusal").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your refusal was received")
    receipt = page.locator("#receipt").inner_text()
    assert re.fullmatch(r"R-[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", receipt)
    screenshot(page, "receipt")
    refusal = SubjectRefusal.objects.get()
    assert refusal.receipt == receipt
    assert refusal.contact_details == "03-1234-5678"

    # The PI signs in and sees the refusal, with what the visitor wrote, on the study's refusals page.
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(pi.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Sign in").click()
    # Signing in lands on "Waiting for you": recording what was done about the refusal is theirs.
    expect(page).to_have_url(f"{base}/home/")
    page.get_by_role("link", name="Record what was done about a subject's refusal or withdrawal").first.click()
    expect(page).to_have_url(re.compile(r"/data/protocols/\d+/refusals/$"))
    table = page.locator("#refusals")
    expect(table).to_contain_text("Hanako Yamada")
    expect(table).to_contain_text("03-1234-5678")
    expect(table).to_contain_text(receipt)
    screenshot(page, "pi-sees-refusal")
