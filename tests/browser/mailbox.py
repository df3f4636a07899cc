"""A real Celery worker on a real Redis for the browser journeys: the live server queues the
emails, the worker (another process) sends them to files, and the journey reads each person's
mail and follows its absolute link in that person's browser."""

import email
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

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
