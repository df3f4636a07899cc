"""Browser tests: Playwright (sync API) driving the system's Chromium against pytest-django's live server.

The live server runs in a thread of this process, on a transactional test database.
Screenshots of the steps go to test-artifacts/ (gitignored)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls
# from a thread with a running loop unless told this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from ..factories import TOTP_SECRET, totp_code

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
def _unhashed_static_files(settings) -> None:  # type: ignore[no-untyped-def]
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
def screenshot(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
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
