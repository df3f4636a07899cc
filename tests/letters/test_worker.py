"""Integration with a real Celery worker on Redis (not eager): a decision recorded in a committed
transaction leads to letters made by the worker; a worker killed in the middle of a letter leaves
no half letter, and after redelivery the letter is made once.

Each test starts `celery worker --pool=solo` as a subprocess against the test database and the
Redis of REDIS_URL, listening on a queue of its own, so no other test's messages reach it."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from django.db import connection

from research_governance.celery import app as celery_app
from research_governance.letters import tasks
from research_governance.letters.models import Letter
from research_governance.reviews import services
from tests.reviews.decisions_support import accepted


@pytest.fixture(autouse=True)
def _redis_and_postgresql():
    """These tests need what `make test` provides; without it they fail, loudly."""
    assert settings.REDIS_URL, "set REDIS_URL (make test does): the worker needs a broker"
    assert connection.vendor == "postgresql", "the worker needs a database it can share: use PostgreSQL"


def _database_url() -> str:
    """The test database (pytest-django's), for the worker."""
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One `celery worker` process; its log is kept in a file to read."""

    def __init__(self, queue: str, log: Path, **env: str) -> None:
        self.log = log
        environment = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "REDIS_URL": settings.REDIS_URL,
            **env,
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "research_governance",
                "worker",
                "--pool=solo",
                "--queues",
                queue,
                "--hostname",
                f"letters-{uuid.uuid4().hex[:8]}@%h",
                "--without-heartbeat",
                "--without-gossip",
                "--without-mingle",
                "--loglevel",
                "INFO",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert self.process.poll() is None, f"the worker exited:\n{self.text()}"
            assert time.monotonic() < deadline, f"no {needle!r} in the worker's log:\n{self.text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def queue(monkeypatch):
    """A queue of this test's own: the letters the services queue go there, to a real broker (the
    suite otherwise runs tasks inline, see tests/conftest.py)."""
    name = f"letters-test-{uuid.uuid4().hex}"
    render_letter = tasks.render_letter
    monkeypatch.setattr(render_letter, "delay", lambda *args: render_letter.apply_async(args, queue=name))
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield name
    celery_app.conf.task_always_eager = eager
    client = redis.Redis.from_url(settings.REDIS_URL)
    # This test's queue, and the notifications its decision sent to the default queue (no worker
    # here consumes that one; the suite's other tasks run inline).
    client.delete(name, celery_app.conf.task_default_queue)


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(queue: str, **env: str) -> Worker:
        worker = Worker(queue, tmp_path / f"worker-{len(started)}.log", **env)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def wait_for(condition, timeout: float, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out; the worker's log:\n{worker.text()}"
        time.sleep(0.2)


@pytest.mark.django_db(transaction=True)
def test_a_decision_leads_to_letters_made_by_the_worker(queue, workers, pi, secretariat, committee):
    worker = workers(queue)
    submission = accepted(pi, secretariat, committee)
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    letters = Letter.objects.filter(decision=decision)
    wait_for(lambda: letters.count() == 2, 90, worker)
    assert sorted(letters.values_list("kind", "language", "version")) == [("decision", "en", 1), ("decision", "ja", 1)]
    for letter in letters:
        assert letter.file.size == letter.size
    assert "render_letter" in worker.text()
    assert "succeeded" in worker.text()


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_letter_leaves_no_half_letter_and_the_letter_is_made_once(
    queue, workers, pi, secretariat, committee
):
    # Six hundred conditions: a letter of some forty pages, seconds to render.
    conditions = [f"Condition {number}: " + "state the storage period of the samples. " * 4 for number in range(600)]
    submission = accepted(pi, secretariat, committee)
    first = workers(queue)
    decision = services.decision_record(
        submission=submission,
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Many conditions.",
        conditions=conditions,
    )
    first.wait_for_log("render_letter[", timeout=90)  # "Task ...render_letter[id] received": rendering
    assert "] received" in first.text()
    time.sleep(1.0)
    first.kill()
    assert "succeeded" not in first.text(), first.text()  # killed before it finished the letter
    # Not acknowledged (acks_late): the message waits in the transport's unacknowledged set.
    assert redis.Redis.from_url(settings.REDIS_URL).zcard("unacked_index") >= 1
    assert not Letter.objects.filter(decision=decision).exists()
    folder = Path(settings.MEDIA_ROOT) / "letters"
    assert not folder.exists() or not any(path.is_file() for path in folder.rglob("*"))

    # The message was not acknowledged (acks_late): once its visibility timeout has passed, the
    # next worker gets it again.
    time.sleep(1.5)
    second = workers(queue, CELERY_VISIBILITY_TIMEOUT="1")
    letters = Letter.objects.filter(decision=decision)
    wait_for(lambda: letters.count() == 2, 120, second)
    time.sleep(1.0)  # nothing more arrives
    assert sorted(letters.values_list("kind", "language", "version")) == [("decision", "en", 1), ("decision", "ja", 1)]
    files = sorted(path.name for path in folder.rglob("*") if path.is_file())
    assert files == sorted(f"{letter.reference}.pdf" for letter in letters)
