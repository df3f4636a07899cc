"""The outbox with a real Celery worker on a real Redis (not inline): each test starts its own
redis-server on a free port and a worker process on the test database, and reads the emails the
worker writes to files."""

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from research_governance.notifications import tasks
from research_governance.notifications.messages import bilingual
from research_governance.notifications.models import Notification
from research_governance.notifications.services import notify
from tests.factories import UserFactory, make_complete

DEADLINE = 30  # seconds; each step normally takes well under one


def wait_until(condition: Callable[[], bool], what: str, explain: Callable[[], str] = str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Gave up waiting for {what} after {DEADLINE} s.\n{explain()}")
        time.sleep(0.05)


def stop(process: subprocess.Popen, *, gently: bool = True) -> None:
    if process.poll() is None:
        if gently:
            process.terminate()
            try:
                process.wait(timeout=5)
                return
            except subprocess.TimeoutExpired:
                pass
        process.kill()
        process.wait(timeout=5)


class RedisServer:
    """A redis-server of this test's own, which the test may stop and start again on the same port."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


class Worker:
    def __init__(self, process: subprocess.Popen, log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def results_of(self, task_name: str) -> list[str]:
        """What each finished run of the task returned, from the worker's log."""
        return [
            line.rsplit(": ", 1)[1].strip()
            for line in self.output().splitlines()
            if f"Task {task_name}[" in line and " succeeded in " in line
        ]


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is not installed; these tests need it (Debian: apt-get install redis-server).")
    server = RedisServer(binary, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_dir(tmp_path) -> Path:
    directory = tmp_path / "mail"
    directory.mkdir()
    return directory


def celery_worker(broker_url: str, log: Path, *, mail_dir: Path, hostname: str, **env: str) -> subprocess.Popen:
    """`celery worker` (one process, solo pool) on the test database, writing emails to ``mail_dir``
    and its log to ``log``; ``env`` adds settings (SITE_URL, MEDIA_ROOT)."""
    database = connection.settings_dict
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
        "PYTHONPATH": str(settings.BASE_DIR),
        "DATABASE_URL": (
            f"postgres://{database['USER']}:{database['PASSWORD']}@{database['HOST'] or '127.0.0.1'}:"
            f"{database['PORT'] or 5432}/{database['NAME']}"
        ),
        "REDIS_URL": broker_url,
        "RG_TEST_MAIL_DIR": str(mail_dir),
        **env,
    }
    with log.open("w") as output:
        return subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "celery",
                "--app",
                "research_governance",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                f"--hostname={hostname}",
            ],
            env=environment,
            cwd=settings.BASE_DIR,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
def start_worker(tmp_path, mail_dir) -> Iterator[Callable[[str], Worker]]:
    """start_worker(broker_url) starts `celery worker` on the test database; stopped after the test."""
    started: list[Worker] = []

    def start(broker_url: str) -> Worker:
        log = tmp_path / f"worker-{len(started)}.log"
        process = celery_worker(
            broker_url, log, mail_dir=mail_dir, hostname=f"outbox-test-{os.getpid()}-{len(started)}@%h"
        )
        worker = Worker(process, log)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        # The test is over: no need to wait for a warm shutdown.
        stop(worker.process, gently=False)


def emails_to(mail_dir: Path, address: str) -> int:
    """How many emails the worker wrote to this address (the file backend writes their headers)."""
    return sum(line == f"To: {address}" for path in mail_dir.iterdir() for line in path.read_text().splitlines())


@pytest.fixture
def alice(db):
    return UserFactory(email="alice@test.example", name_latin="Alice Secretary", preferred_language="en")


@pytest.mark.django_db(transaction=True)
def test_a_notification_is_delivered_once_even_when_its_task_runs_twice(
    alice, redis_server, tasks_go_to, start_worker, mail_dir
):
    tasks_go_to(redis_server.url)
    with transaction.atomic():
        (notification,) = notify(
            recipients=[alice],
            kind="submission.accepted",
            params={"reference": "R-2026-001", "title": bilingual("研究", "A study")},
        )
    # The task queued after the commit, and the same task again (as a retry, a redelivery or the
    # periodic re-dispatch would queue it), both waiting for the worker.
    tasks.deliver_notifications.delay([notification.pk])
    worker = start_worker(redis_server.url)
    name = tasks.deliver_notifications.name
    wait_until(lambda: len(worker.results_of(name)) == 2, "both runs of the task", worker.output)
    assert sorted(worker.results_of(name)) == ["0", "1"]  # one run sent it, the other found it sent
    assert emails_to(mail_dir, alice.email) == 1
    notification.refresh_from_db()
    assert notification.emailed_at is not None


@pytest.mark.django_db(transaction=True)
def test_with_redis_stopped_submitting_succeeds_and_the_notification_goes_out_once_redis_is_back(
    pi, secretariat, client_for, redis_server, tasks_go_to, start_worker, mail_dir, caplog
):
    tasks_go_to(redis_server.url)
    protocol = make_complete(pi)
    redis_server.stop()

    began = time.monotonic()
    with caplog.at_level(logging.ERROR):
        response = client_for(pi).post(reverse("protocols:submit", args=[protocol.pk]))
    assert response.status_code == 302
    assert time.monotonic() - began < 5  # queueing fails fast, it does not hang the request
    # The failure is logged, not shown to the user.
    assert "Could not queue research_governance.notifications.tasks.deliver_notifications" in caplog.text
    protocol.refresh_from_db()
    assert protocol.last_submitted_at is not None
    notification = Notification.objects.get(recipient=secretariat, kind="work.waiting")
    assert notification.emailed_at is None  # not lost: pending in the outbox

    redis_server.start()
    worker = start_worker(redis_server.url)
    # Some minutes later the periodic re-dispatch finds the row still pending; beat sends the job.
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    tasks.redispatch_pending.delay()
    wait_until(lambda: emails_to(mail_dir, secretariat.email) == 1, "the secretariat's email", worker.output)
    notification.refresh_from_db()
    assert notification.emailed_at is not None
    assert worker.results_of(tasks.redispatch_pending.name) == ["1"]
