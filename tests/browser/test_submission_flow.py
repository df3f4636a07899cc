"""An investigator's way from signing in to a submitted application, in a real browser,
and what a second tab sees when the draft changed under it.

Buttons and links are found by their visible names. Form fields are found by their ids
and names (``#id_<field>``, ``input[name=…][value=…]``): the field labels are being
reworded, and the edit page has duplicate ids that break some label associations."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from research_governance.accounts.models import User
from research_governance.demo.samples import minimal_pdf
from research_governance.protocols.models import Protocol, ProtocolStatus

from ..factories import PASSWORD, UserFactory, make_draft

pytestmark = pytest.mark.django_db(transaction=True)

# The application form as an investigator fills it in: every REQUIRED_FIELDS entry, written IC.
TEXT_FIELDS = {
    "title_ja": "交代勤務者の睡眠と記憶",
    "summary": "A questionnaire study of sleep and memory in shift workers.",
    "planned_start": "2027-04-01",
    "planned_end": "2029-03-31",
    "target_participants": "80",
    "funding_source": "Departmental budget",
}
RADIO_ANSWERS = {
    "has_conflict_of_interest": "false",
    "acquisition": "new",
    "uses_samples": "false",
    "invasiveness": "none",
    "interventional": "false",
    "special_care_personal_info": "false",
    "deidentification": "pseudonymised",
    "consent_procedure": "written_ic",
    "uses_ai": "false",
}


@pytest.fixture
def investigator(transactional_db) -> User:
    return UserFactory(email="pi@test.example", name_latin="Pat Investigator")


def sign_in(page: Page, base_url: str, user: User) -> None:
    """Through the real sign-in form; lands on "Waiting for you", then opens "My protocols" from the menu."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/home/")
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="My protocols").click()
    expect(page).to_have_url(f"{base_url}/protocols/")


def wait_for_autosave(page: Page) -> None:
    """'Saved at' is shown and no autosave is in flight (htmx marks the form while it posts)."""
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")
    expect(page.locator("#draft-form")).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def upload(page: Page, kind: str, title: str, path: Path) -> None:
    """Add a document through the Documents section (htmx swaps the section in place)."""
    documents = page.locator("#documents")
    add_form = documents.locator("form[action$='/documents/']")
    add_form.locator("select[name=document-kind]").select_option(label=kind)
    add_form.locator("input[name=document-title]").fill(title)
    add_form.locator("input[name=document-file]").set_input_files(path)
    add_form.get_by_role("button", name="Upload", exact=True).click()
    expect(documents.get_by_role("link", name=path.name, exact=True)).to_be_visible()


def test_investigator_signs_in_fills_in_uploads_and_submits(
    live_server, page: Page, investigator, tmp_path, screenshot
):
    protocol_pdf = tmp_path / "protocol-v1.pdf"
    protocol_pdf.write_bytes(minimal_pdf("Research protocol v1"))
    consent_pdf = tmp_path / "consent-v1.pdf"
    consent_pdf.write_bytes(minimal_pdf("Consent form v1"))

    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "login")
    sign_in(page, live_server.url, investigator)
    expect(page.get_by_role("heading", level=1)).to_have_text("My protocols")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="New application").click()
    page.locator("#id_title_en").fill("Sleep and memory in shift workers")
    screenshot(page, "new-application")
    page.get_by_role("button", name="Create draft").click()
    protocol = Protocol.objects.get(principal_investigator=investigator)
    expect(page).to_have_url(f"{live_server.url}/protocols/{protocol.pk}/edit/")

    for name, value in TEXT_FIELDS.items():
        page.locator(f"#id_{name}").fill(value)
    for name, value in RADIO_ANSWERS.items():
        page.locator(f"#draft-form input[name={name}][value={value}]").check()
    wait_for_autosave(page)
    screenshot(page, "edit-saved")

    upload(page, "Research protocol", "Research protocol v1", protocol_pdf)
    upload(page, "Consent form and explanation", "Consent form v1", consent_pdf)
    page.locator("#documents").scroll_into_view_if_needed()
    screenshot(page, "documents")

    page.get_by_role("link", name="Check and submit").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check and submit")
    expect(page.locator("#missing-items")).to_have_count(0)
    screenshot(page, "check-and-submit")

    page.get_by_role("button", name="Submit to the ethics committee").click()
    # Back on the protocol page, about the submission just made.
    expect(page).to_have_url(
        re.compile(re.escape(f"{live_server.url}/protocols/{protocol.pk}/") + r"\?submission=\d+$")
    )
    expect(page.locator("#protocol-status")).to_have_text("Submitted")
    expect(page.get_by_role("link", name="Withdraw submission…")).to_be_visible()
    screenshot(page, "submitted")

    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.SUBMITTED
    assert protocol.title_ja == TEXT_FIELDS["title_ja"]
    assert protocol.consent_procedure == "written_ic"


def test_second_tab_sees_the_conflict_and_keeps_its_text(
    live_server, context: BrowserContext, investigator, screenshot
):
    protocol = make_draft(investigator, title_ja="二つのタブ", summary="The summary both tabs loaded.")
    edit_url = f"{live_server.url}/protocols/{protocol.pk}/edit/"

    tab_a = context.new_page()
    sign_in(tab_a, live_server.url, investigator)
    tab_a.goto(edit_url)
    tab_b = context.new_page()  # same context, so the same session
    tab_b.goto(edit_url)
    expect(tab_b.locator("#id_summary")).to_have_value("The summary both tabs loaded.")

    tab_a.locator("#id_summary").fill("Tab A's summary, saved first.")
    wait_for_autosave(tab_a)
    screenshot(tab_a, "tab-a-saved")

    b_text = "Tab B's summary, typed after A saved."
    tab_b.locator("#id_summary").fill(b_text)
    expect(tab_b.locator("#autosave-status")).to_contain_text("changed elsewhere")
    expect(tab_b.locator("#id_summary")).to_have_value(b_text)
    screenshot(tab_b, "tab-b-conflict")

    protocol.refresh_from_db()
    assert protocol.summary == "Tab A's summary, saved first."
