"""An investigator's way from signing in to a submitted application, in a real browser,
and what a second tab sees when the draft changed under it."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from research_governance.accounts.models import User
from research_governance.core.samples import minimal_pdf
from research_governance.protocols.models import Protocol, ProtocolStatus

from ..factories import PASSWORD, UserFactory, make_draft

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def investigator(transactional_db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(email="pi@test.example", name_latin="Pat Investigator")


def sign_in(page: Page, base_url: str, user: User) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My protocols", level=1)).to_be_visible()


def answer(page: Page, question: str, choice: str) -> None:
    """Pick a radio by the visible question (the fieldset's legend) and answer."""
    page.get_by_role("group", name=question, exact=True).get_by_label(choice, exact=True).check()


def wait_for_autosave(page: Page) -> None:
    """'Saved at' is shown and no autosave is in flight (htmx marks the form while it posts)."""
    expect(page.locator("#autosave-status")).to_contain_text("Saved at")
    expect(page.locator("#draft-form")).not_to_have_class(re.compile(r"\bhtmx-request\b"))


def upload(page: Page, kind: str, title: str, path: Path) -> None:
    documents = page.locator("#documents")
    add_form = documents.locator("form", has=page.get_by_role("heading", name="Add a document"))
    add_form.get_by_label("Document type").select_option(label=kind)
    add_form.get_by_label("Title").fill(title)
    add_form.get_by_label("File").set_input_files(path)
    add_form.get_by_role("button", name="Upload", exact=True).click()
    expect(documents.get_by_text(title, exact=True)).to_be_visible()


def test_investigator_signs_in_fills_in_uploads_and_submits(live_server, page: Page, investigator, tmp_path, screenshot):  # type: ignore[no-untyped-def]
    protocol_pdf = tmp_path / "protocol-v1.pdf"
    protocol_pdf.write_bytes(minimal_pdf("Research protocol v1"))
    consent_pdf = tmp_path / "consent-v1.pdf"
    consent_pdf.write_bytes(minimal_pdf("Consent form v1"))

    page.goto(f"{live_server.url}/accounts/login/")
    screenshot(page, "login")
    sign_in(page, live_server.url, investigator)
    expect(page).to_have_url(f"{live_server.url}/protocols/")
    screenshot(page, "dashboard")

    page.get_by_role("link", name="New application").click()
    page.get_by_label("Title (English)").fill("Sleep and memory in shift workers")
    screenshot(page, "new-application")
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft created. It is saved as you type.")).to_be_visible()
    protocol = Protocol.objects.get(principal_investigator=investigator)
    expect(page).to_have_url(f"{live_server.url}/protocols/{protocol.pk}/edit/")

    # The study
    page.get_by_label("Title (Japanese)").fill("交代勤務者の睡眠と記憶")
    page.get_by_label("Summary").fill("A questionnaire study of sleep and memory in shift workers.")
    page.get_by_label("Planned start").fill("2027-04-01")
    page.get_by_label("Planned end").fill("2029-03-31")
    page.get_by_label("Target number of participants").fill("80")
    page.get_by_label("Funding").fill("Departmental budget")
    answer(page, "Conflict of interest to declare", "No")
    # Samples, information and consent
    answer(page, "How samples/information are obtained", "Newly acquired from participants")
    answer(page, "Uses human biological samples", "No")
    answer(page, "Invasiveness", "None")
    answer(page, "Interventional", "No")
    answer(page, "Acquires special-care personal information", "No")
    answer(page, "De-identification level", "Coded, key held by the institution (pseudonymised)")
    answer(page, "Consent procedure", "Written informed consent")
    # AI and machine learning
    answer(page, "Uses AI or machine learning on participants' data", "No")
    wait_for_autosave(page)
    screenshot(page, "edit-saved")

    upload(page, "Research protocol", "Research protocol v1", protocol_pdf)
    upload(page, "Consent form and explanation", "Consent form v1", consent_pdf)
    page.locator("#documents").scroll_into_view_if_needed()
    screenshot(page, "documents")

    page.get_by_role("link", name="Check and submit").first.click()
    expect(page.get_by_role("heading", name="Check and submit", level=1)).to_be_visible()
    expect(page.get_by_text("The application is complete.")).to_be_visible()
    expect(page.locator("#missing-items")).to_have_count(0)
    screenshot(page, "check-and-submit")

    page.get_by_role("button", name="Submit to the ethics committee").click()
    expect(page).to_have_url(f"{live_server.url}/protocols/{protocol.pk}/")
    expect(page.locator("#protocol-status")).to_have_text("Submitted")
    expect(page.get_by_role("button", name="Withdraw submission")).to_be_visible()
    screenshot(page, "submitted")

    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.SUBMITTED
    assert protocol.consent_procedure == "written_ic"
    assert protocol.title_ja == "交代勤務者の睡眠と記憶"


def test_second_tab_sees_the_conflict_and_keeps_its_text(  # type: ignore[no-untyped-def]
    live_server, context: BrowserContext, investigator, screenshot
):
    protocol = make_draft(investigator, title_ja="二つのタブ", summary="The summary both tabs loaded.")
    edit_url = f"{live_server.url}/protocols/{protocol.pk}/edit/"

    tab_a = context.new_page()
    sign_in(tab_a, live_server.url, investigator)
    tab_a.goto(edit_url)
    tab_b = context.new_page()  # same context, so the same session
    tab_b.goto(edit_url)
    expect(tab_b.get_by_label("Summary")).to_have_value("The summary both tabs loaded.")

    tab_a.get_by_label("Summary").fill("Tab A's summary, saved first.")
    wait_for_autosave(tab_a)
    screenshot(tab_a, "tab-a-saved")

    b_text = "Tab B's summary, typed after A saved."
    tab_b.get_by_label("Summary").fill(b_text)
    status_b = tab_b.locator("#autosave-status")
    expect(status_b).to_contain_text("changed elsewhere")
    expect(tab_b.get_by_label("Summary")).to_have_value(b_text)
    screenshot(tab_b, "tab-b-conflict")

    protocol.refresh_from_db()
    assert protocol.summary == "Tab A's summary, saved first."
