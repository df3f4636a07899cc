"""Browser tests: Playwright (sync API) driving the system's Chromium against pytest-django's live server.

The live server runs in a thread of this process, on a transactional test database.
Screenshots of the steps go to test-artifacts/ (gitignored)."""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from research_governance.accounts.models import User

from ..factories import PASSWORD, TOTP_SECRET, totp_code
from .mailbox import mailbox  # noqa: F401  (a fixture for the journeys)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 10_000


@pytest.fixture(autouse=True)
def _unhashed_static_files(settings) -> None:
    """Serve static files under their plain names.

    pytest-django's live server answers /static/ itself, from the static files *finders*,
    before WhiteNoise sees the request; the finders know app.css but not the manifest's
    app.f181380b025b.css, so with DEBUG off every stylesheet and script would 404."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    # Fail, never skip: a browser suite that silently skips tests nothing.
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is required for the browser tests and was not found at {CHROMIUM}.")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


def new_context(browser: Browser, locale: str = "en-US") -> BrowserContext:
    """A fresh profile; ``locale`` sets navigator.language and the Accept-Language header."""
    context = browser.new_context(locale=locale, timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    """A browser context in English (Accept-Language: en-US), closed after the test."""
    context = new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest):
    """screenshot(page, "step") saves test-artifacts/<test name>/NN-step.png (full page)."""
    folder = ARTIFACTS / request.node.name
    folder.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 100))

    def take(page: Page, step: str) -> Path:
        path = folder / f"{next(counter):02d}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# Codes already typed, per person: the server accepts a code once, and the codes of the
# neighbouring 30 seconds as well, so a second sign-in within the same 30 seconds uses one of those.
_USED_CODES: set[tuple[str, str]] = set()


def enter_second_factor_if_asked(page: Page, email: str) -> None:
    """SEC-02: after the password, privileged users are asked for their authenticator app's code."""
    if "/accounts/2fa/authenticate/" not in page.url:
        return
    code = next(c for c in (totp_code(TOTP_SECRET, step=s) for s in (0, 1, -1)) if (email, c) not in _USED_CODES)
    _USED_CODES.add((email, code))
    page.get_by_label("Code", exact=True).fill(code)
    page.locator("main form").get_by_role("button", name="Sign in").click()


def sign_in(page: Page, base_url: str, user: User) -> None:
    """Through the real sign-in form. Where it lands depends on the role (the secretariat
    lands on its queue), so only leaving the sign-in page and the user's name are checked.
    Privileged users then type their authenticator app's code (SEC-02).

    Names on the pages are compared with ``name_latin``: the pages are in English, while
    ``display_name`` in the test thread follows the default language (Japanese)."""
    page.goto(f"{base_url}/accounts/login/")
    page.locator("input[name=login]").fill(user.email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form").get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    enter_second_factor_if_asked(page, user.email)
    expect(page).not_to_have_url(re.compile(r"/accounts/2fa/"))
    expect(page.get_by_role("button", name=user.name_latin)).to_be_visible()


@pytest.fixture
def page_for(browser: Browser, live_server) -> Iterator[Callable[[User], Page]]:
    """page_for(user): a page in that person's own browser context, signed in through the form."""
    contexts = []

    def open_as(user: User) -> Page:
        context = new_context(browser)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, live_server.url, user)
        return page

    yield open_as
    for context in contexts:
        context.close()
