"""The assessment panel follows the study's facts as the investigator answers them (htmx),
without a page load: JP-IC-05 allows opt-out, JP-IC-01 does not once the study is invasive."""

import pytest
from playwright.sync_api import Page, expect

from research_governance.accounts.models import User

from ..factories import UserFactory, make_draft
from .test_submission_flow import sign_in, wait_for_autosave

pytestmark = pytest.mark.django_db(transaction=True)

FACTS = {
    "acquisition": "new",
    "uses_samples": "false",
    "invasiveness": "none",
    "interventional": "false",
    "special_care_personal_info": "false",
    "deidentification": "pseudonymised",
}


@pytest.fixture
def investigator(transactional_db) -> User:
    return UserFactory(email="pi@test.example", name_latin="Pat Investigator")


def test_the_allowed_procedures_follow_the_answers_without_a_page_load(
    live_server, page: Page, investigator, screenshot
):
    protocol = make_draft(investigator, title_ja="オプトアウトの研究")
    sign_in(page, live_server.url, investigator)
    page.goto(f"{live_server.url}/protocols/{protocol.pk}/edit/")
    panel = page.locator("#assessment")
    expect(panel).to_contain_text("Answer these questions")
    page.evaluate("window.__same_page = true")

    for name, value in FACTS.items():
        page.locator(f"#draft-form input[name={name}][value={value}]").check()
    wait_for_autosave(page)
    allowed = page.locator("#allowed-procedures")
    expect(allowed).to_contain_text("Opt-out")
    expect(panel).to_contain_text("JP-IC-05")
    screenshot(page, "information-only")

    page.locator("#draft-form input[name=invasiveness][value=invasive]").check()
    expect(panel).to_contain_text("JP-IC-01")
    expect(allowed).not_to_contain_text("Opt-out")
    expect(page.locator("#obligations")).to_contain_text("serious adverse event")
    assert page.evaluate("window.__same_page") is True  # updated in place, no reload
    screenshot(page, "invasive")
