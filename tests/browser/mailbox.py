"""A real Celery worker on a real Redis for the browser journeys: the live server queues the
emails, the worker (another process) sends them to files, and the journey reads each person's
mail and follows its absolute link in that person's browser.

The hand-off checks the journeys share: ``handed_to`` (the next person received one email for the
step, in their language, with an absolute link), ``finds_on_home`` and ``not_on_home`` (their
"Waiting for you" lists the step on the item, or no longer does)."""

import email
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from research_governance.accounts.models import User
from research_governance.core.work import Step

from ..notifications.conftest import _forget_broker_connections
from ..notifications.test_worker import RedisServer, celery_worker, stop, wait_until

LINK = re.compile(r"https?://[^\s<>\"]+")


class Mailbox:
    def __init__(self, directory: Path, worker: subprocess.Popen, log: Path) -> None:
        self.directory = directory
        self.worker = worker
        self.log = log

    def messages_to(self, address: str) -> list[Message]:
        found = []
        for path in sorted(self.directory.iterdir(), key=lambda p: p.stat().st_mtime):
            # The file backend writes one or more messages per file, separated by a line of dashes.
            for chunk in path.read_text().split("-" * 79):
                if chunk.strip():
                    message = email.message_from_string(chunk.strip() + "\n")
                    if message["To"] == address:
                        found.append(message)
        return found

    def wait_for(self, address: str, count: int) -> list[Message]:
        """Wait until ``address`` has received ``count`` emails in all; return them, oldest first."""
        wait_until(lambda: len(self.messages_to(address)) >= count, f"email {count} to {address}", self.output)
        return self.messages_to(address)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def text_of(message: Message) -> str:
    if message.is_multipart():
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        return part.get_payload(decode=True).decode()
    return message.get_payload(decode=True).decode()


def decoded_subject(message: Message) -> str:
    # Long subjects are folded over several lines; unfold them.
    return " ".join(str(email.header.make_header(email.header.decode_header(message["Subject"]))).split())


def link_in(message: Message) -> str:
    links = LINK.findall(text_of(message))
    assert links, f"No absolute link in the email {decoded_subject(message)!r}:\n{text_of(message)}"
    return links[0]


def en(text: object) -> str:
    """The words the English pages use (the test thread's default language is Japanese)."""
    with translation.override("en"):
        return str(text)


def in_language_of(user: User, text: object) -> str:
    """``text`` in the language the user reads their emails in (as stored now)."""
    language = User.objects.values_list("preferred_language", flat=True).get(pk=user.pk)
    with translation.override(language):
        return str(text)


def handed_to(mailbox: Mailbox, user: User, step: Step, live_url: str, nth: int = 1) -> str:
    """``user`` has received the ``nth`` email handing them this step (and no more), its subject
    naming the step in their language, with an absolute link to this site; returns the link."""
    label = in_language_of(user, step.label)

    def handoffs() -> list[Message]:
        return [m for m in mailbox.messages_to(user.email) if label in decoded_subject(m)]

    wait_until(
        lambda: len(handoffs()) >= nth,
        f"email {nth} to {user.email} about {label!r}",
        lambda: f"They received: {subjects_to(mailbox, user)}\n{mailbox.output()}",
    )
    found = handoffs()
    assert len(found) == nth, f"{user.email} was told {len(found)} times of {label!r}, not {nth}"
    link = link_in(found[-1])
    assert link.startswith(live_url + "/"), link
    return link


def subjects_to(mailbox: Mailbox, user: User) -> list[str]:
    """The subjects of every email the user has received, oldest first."""
    return [decoded_subject(m) for m in mailbox.messages_to(user.email)]


def _waiting_rows(page: Page, step: Step, title: str) -> Locator:
    waiting = page.locator("section[aria-labelledby=waiting-heading]")
    return waiting.locator(f"[data-work-key^='{step.code}:']").filter(has_text=title)


def finds_on_home(page: Page, step: Step, title: str) -> None:
    """The page (just signed in, or sent home) is "Waiting for you", which lists this step on
    this item once, in the page's words (English)."""
    expect(page).to_have_url(re.compile(r"/home/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    row = _waiting_rows(page, step, title)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(en(step.label))


def go_home(page: Page) -> None:
    page.goto(urljoin(page.url, "/home/"))


def not_on_home(page: Page, step: Step, title: str) -> None:
    """Back home, "Waiting for you" no longer lists this step on this item."""
    go_home(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Waiting for you")
    expect(_waiting_rows(page, step, title)).to_have_count(0)


@pytest.fixture
def mailbox(live_server, tmp_path, settings) -> Iterator[Mailbox]:
    """Tasks go to a redis-server of this test's own; a worker process sends the emails to files.
    SITE_URL is the live server's address, so the links in the emails work in the browser."""
    from research_governance import celery_app

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; the browser journeys need it (apt-get install redis-server).")
    server = RedisServer(binary, tmp_path)
    server.start()
    settings.SITE_URL = live_server.url
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager
    celery_app.conf.broker_url = server.url
    celery_app.conf.task_always_eager = False
    _forget_broker_connections()
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    log = tmp_path / "worker.log"
    worker = celery_worker(
        server.url,
        log,
        mail_dir=mail_dir,
        hostname=f"journey-{os.getpid()}@%h",
        SITE_URL=live_server.url,
        # The letters the worker renders go where this test's live server reads them.
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    yield Mailbox(mail_dir, worker, log)
    stop(worker, gently=False)
    server.stop()
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    _forget_broker_connections()
