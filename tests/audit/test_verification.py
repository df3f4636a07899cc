"""The hash chain and its protection (SEC-05, US-R-02): verify_audit, the append-only trigger,
concurrent writers, and the daily check that alerts administrators."""

import os
import sqlite3
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction

from research_governance.accounts.models import Role
from research_governance.audit.maintenance import ENTER_MAINTENANCE_SQL
from research_governance.audit.models import AccessLogEntry, AuditEvent
from research_governance.audit.services import audit_record
from research_governance.audit.tasks import verify_audit_chain
from research_governance.audit.verification import verify_chain
from research_governance.notifications.models import Notification
from tests.factories import UserFactory, make_draft


def run_verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def record_events(user, n: int) -> list[AuditEvent]:
    events = []
    for number in range(n):
        with transaction.atomic():
            events.append(audit_record(actor=user, action="protocol.draft_saved", target=user, data={"n": number}))
    return events


def tamper(sql: str, params: list[object]) -> None:
    """What a database superuser can do behind the application's back: switch the trigger off."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")


@pytest.mark.django_db
def test_verify_audit_exits_0_on_an_intact_chain(pi):
    make_draft(pi, summary="first")
    events = record_events(pi, 3)
    code, out, _err = run_verify()
    assert code == 0
    assert "intact" in out
    assert f"{AuditEvent.objects.count():,} events verified" in out
    assert events[-1].hash in out


@pytest.mark.django_db
def test_verify_audit_exits_0_on_an_empty_trail():
    assert run_verify()[0] == 0


@pytest.mark.django_db
def test_sec05_verify_audit_names_an_event_changed_by_a_superuser_with_the_trigger_disabled(pi):
    events = record_events(pi, 5)
    changed = events[2]
    tamper("UPDATE audit_auditevent SET data = %s WHERE id = %s", ['{"n": 99}', changed.pk])
    code, out, err = run_verify()
    assert code == 1
    assert out == ""
    assert f"event {changed.pk} " in err
    assert "protocol.draft_saved" in err
    assert changed.occurred_at.isoformat() in err
    assert "changed after it was written" in err


@pytest.mark.django_db
def test_sec05_an_event_removed_from_the_middle_breaks_the_chain_at_the_next_one(pi):
    events = record_events(pi, 4)
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    report = verify_chain()
    assert not report.intact
    assert report.broken is not None
    assert report.broken.event_id == events[2].pk
    assert report.events == 1


@pytest.mark.django_db
def test_sec05_an_event_rewritten_with_a_recomputed_hash_is_caught_by_the_next_link(pi):
    events = record_events(pi, 3)
    tamper("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[1].pk])
    report = verify_chain(chunk=1)  # across chunk boundaries too
    assert report.broken is not None
    assert report.broken.event_id == events[1].pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'tampered'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_accesslogentry SET identifier = 'tampered'",
        "DELETE FROM audit_accesslogentry",
        "TRUNCATE audit_accesslogentry",
    ],
)
def test_sec05_a_plain_update_delete_or_truncate_is_refused_by_the_trigger(pi, statement):
    record_events(pi, 2)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
    assert AuditEvent.objects.filter(action="protocol.draft_saved").count() == 2
    assert run_verify()[0] == 0


@pytest.mark.django_db(transaction=True)
def test_the_maintenance_setting_lets_a_change_through_for_its_own_transaction_only():
    """A real transaction (not the test's savepoint), so SET LOCAL ends where it would in production."""
    pi = UserFactory()
    record_events(pi, 2)
    AccessLogEntry.objects.create(occurred_at=pi.date_joined, kind="sign_in", identifier=pi.email)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(ENTER_MAINTENANCE_SQL)
        cursor.execute("DELETE FROM audit_accesslogentry")
    assert AccessLogEntry.objects.count() == 0
    # The next transaction meets the trigger again.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_unbroken_chain():
    """Eight threads, each with its own connection, append at once; the advisory lock serialises
    them, so every event links to the one before it and none forks the chain."""
    user = UserFactory()
    threads, per_thread = 8, 15
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            barrier.wait()
            for index in range(per_thread):
                with transaction.atomic():
                    audit_record(actor=user, action="protocol.draft_saved", target=user, data={"t": number, "i": index})
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    report = verify_chain()
    assert report.intact, report.summary()
    assert report.events == threads * per_thread
    assert AuditEvent.objects.values("previous_hash").distinct().count() == threads * per_thread


@pytest.mark.django_db
def test_sec05_the_daily_check_notifies_every_active_administrator_when_the_chain_is_broken(pi, caplog):
    admin = UserFactory(email="admin@test.example", roles=[Role.ADMINISTRATOR])
    UserFactory(email="gone@test.example", roles=[Role.ADMINISTRATOR], is_active=False)
    auditor = UserFactory(email="auditor@test.example", roles=[Role.AUDITOR])
    events = record_events(pi, 3)

    assert verify_audit_chain.delay().get()["intact"] is True
    assert not Notification.objects.filter(kind="audit.chain_broken").exists()

    tamper("UPDATE audit_auditevent SET target_id = '0' WHERE id = %s", [events[1].pk])
    with caplog.at_level("ERROR"):
        result = verify_audit_chain.delay().get()
    assert result["intact"] is False
    notices = Notification.objects.filter(kind="audit.chain_broken")
    assert [n.recipient for n in notices] == [admin]
    assert notices[0].params["event_id"] == events[1].pk
    assert notices[0].link == f"/audit/events/?before={events[1].pk + 1}"
    assert auditor not in [n.recipient for n in notices]
    assert any(f"event {events[1].pk}" in record.getMessage() for record in caplog.records)


def test_the_check_is_a_daily_periodic_job():
    entry = settings.CELERY_BEAT_SCHEDULE["verify-audit-trail"]
    assert entry["task"] == "research_governance.audit.tasks.verify_audit_chain"
    assert entry["schedule"].hour == {3}


@pytest.mark.django_db
def test_run_periodic_runs_the_check(pi):
    record_events(pi, 2)
    out = StringIO()
    call_command("run_periodic", "--job", "verify-audit-trail", stdout=out)
    assert "'intact': True" in out.getvalue()


@pytest.mark.django_db
def test_secrets_are_masked_before_hashing_so_the_chain_still_verifies(pi):
    with transaction.atomic():
        event = audit_record(
            actor=pi, action="protocol.draft_saved", target=pi, data={"otp_code": "123456", "reason": "ok"}
        )
    assert event.data == {"otp_code": "***", "reason": "ok"}
    assert "123456" not in AuditEvent.objects.values_list("data", flat=True).get(pk=event.pk).__repr__()
    assert run_verify()[0] == 0


def _manage(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "research_governance.settings",
    }
    env.pop("REDIS_URL", None)
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


CREATE_EVENTS = """
from django.db import transaction
from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
user = User.objects.create_user(email="sqlite@test.example")
for n in range(4):
    with transaction.atomic():
        audit_record(actor=user, action="protocol.draft_saved", target=user, data={"n": n})
"""


def test_sec05_verify_audit_names_an_event_changed_by_editing_the_sqlite_file(tmp_path):
    """SQLite has no trigger: an event edited in the database file is caught by the chain alone."""
    database = tmp_path / "audit.sqlite3"
    migrated = _manage(database, "migrate", "--noinput", "-v0")
    assert migrated.returncode == 0, migrated.stderr
    created = _manage(database, "shell", "-c", CREATE_EVENTS)
    assert created.returncode == 0, created.stderr
    intact = _manage(database, "verify_audit")
    assert intact.returncode == 0, intact.stderr
    assert "4 events verified" in intact.stdout

    with sqlite3.connect(database) as db:
        target = db.execute("SELECT id FROM audit_auditevent ORDER BY id LIMIT 1 OFFSET 2").fetchone()[0]
        db.execute("UPDATE audit_auditevent SET data = ? WHERE id = ?", ('{"n": 7}', target))
    broken = _manage(database, "verify_audit")
    assert broken.returncode == 1
    assert f"event {target} " in broken.stderr
    assert "protocol.draft_saved" in broken.stderr
