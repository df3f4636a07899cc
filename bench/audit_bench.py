#!/usr/bin/env python
"""Time `manage.py verify_audit` over 1,000,000 audit events and the audit view's latency (not a test).

    .venv/bin/python bench/audit_bench.py            # build the database if missing, then time
    .venv/bin/python bench/audit_bench.py --reset    # drop and rebuild it first

Builds a dedicated database (default ``research_governance_audit_bench``): 2,000 users (one an
auditor) and N audit events (default 1,000,000) over three years, with the project's actions,
object types and small data dicts, written with COPY. Every hash is computed in Python with
``event_hash`` exactly as ``audit_record`` does, so the stored chain is valid.

Then:
1. ``manage.py verify_audit`` in a subprocess, wall clock including Django's start (target < 10 s);
2. the audit view (/audit/events/) as the auditor with Django's test client, in-process,
   ``--requests`` serial requests per scenario after 10 warm-up ones: the first page, a page
   filtered by action and actor, a page deep in the trail (keyset), a date range and the
   access-log page; p50 / p95 / max (target p95 < 100 ms).
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

import psycopg
from common import BENCH_PASSWORD, ROOT, admin_conninfo, project_env, setup_django
from generate import Writer, database_exists, prepare_database
from generate import migrate as migrate_database
from psycopg import sql
from psycopg.types.json import Jsonb

DEFAULT_DB_NAME = "research_governance_audit_bench"
USERS = 2000
TARGETS = {"verify_s": 10.0, "view_p95_ms": 100.0}


def event_count(db_name: str) -> int:
    with psycopg.connect(admin_conninfo(db_name), autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('audit_auditevent')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]


def build(events: int, seed: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from research_governance.accounts.models import Institution, Role, RoleMembership, User
    from research_governance.audit.display import ACTION_LABELS
    from research_governance.audit.models import AccessLogEntry, AuditEvent
    from research_governance.audit.selectors import EXPORT_FIELDS
    from research_governance.audit.services import GENESIS_HASH, canonical_json, event_hash

    rng = random.Random(seed)
    started = time.perf_counter()
    institution = Institution.objects.create(code="bench-university", name_ja="ベンチ大学", name_en="Bench University")
    password = make_password(BENCH_PASSWORD)
    w = Writer()
    for uid in range(1, USERS + 1):
        w.add(
            User,
            {
                "id": uid,
                "password": password,
                "email": "auditor@bench.example" if uid == 1 else f"user{uid}@bench.example",
                "name_ja": f"利用者 {uid}",
                "name_latin": f"User {uid}",
                "institution_id": institution.pk,
                "is_active": True,
                "date_joined": datetime(2024, 1, 1, tzinfo=UTC),
            },
        )
    w.add(RoleMembership, {"id": 1, "user_id": 1, "institution_id": institution.pk, "role": Role.AUDITOR})
    actions = sorted(ACTION_LABELS)
    kinds = ["protocols.protocol", "protocols.document", "reviews.submission", "reviews.decision", "committees.meeting"]
    for number in range(1, 100_001):
        w.add(
            AccessLogEntry,
            {
                "id": number,
                "occurred_at": datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=number * 15),
                "user_id": rng.randint(2, USERS),
                "identifier": "",
                "kind": rng.choice(["sign_in", "sign_out", "document_download", "protocol_view_outside_team"]),
                "session_key_hash": "0" * 64,
                "ip_address": "192.0.2.1",
                "user_agent": "bench",
            },
        )
    models = [User, RoleMembership, AuditEvent, AccessLogEntry]
    # Every column of an event, as the export writes them, and the institution its auditors read it by.
    columns = [*EXPORT_FIELDS, "institution_id"]
    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            for model in (User, RoleMembership, AccessLogEntry):
                w.copy(cursor, model)
            # The events are streamed into COPY as they are hashed: a million rows never sit in memory.
            statement = sql.SQL("COPY audit_auditevent ({}) FROM STDIN").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in columns)
            )
            at = datetime(2024, 1, 1, tzinfo=UTC)
            previous = GENESIS_HASH
            with cursor.copy(statement) as copy:
                for number in range(1, events + 1):
                    at += timedelta(seconds=rng.randint(0, 190))  # ~3 years over a million events, whole seconds
                    actor = rng.randint(2, USERS)
                    action = rng.choice(actions)
                    target_type = rng.choice(kinds)
                    target_id = str(rng.randint(1, 20_000))
                    data = json.loads(
                        canonical_json(
                            {"version": rng.randint(1, 6), "fields": rng.sample(["title_en", "summary", "design"], 2)}
                        )
                    )
                    digest = event_hash(
                        previous_hash=previous,
                        occurred_at=at.isoformat(),
                        actor_id=actor,
                        action=action,
                        target_type=target_type,
                        target_id=target_id,
                        data=data,
                    )
                    copy.write_row(
                        (
                            number,
                            at,
                            actor,
                            f"user{actor}@bench.example",
                            action,
                            target_type,
                            target_id,
                            rng.randint(1, 10_000),
                            Jsonb(data),
                            previous,
                            digest,
                            institution.pk,
                        )
                    )
                    previous = digest
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    print(f"Hashed and wrote {events:,} events with COPY in {time.perf_counter() - started:.1f} s")


def vacuum(db_name: str) -> None:
    with psycopg.connect(admin_conninfo(db_name), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_verify(db_name: str) -> float:
    """Wall time of the command, and the CPU time of its process: on a shared, busy machine the
    CPU time shows the command's own cost when the wall time mostly shows the wait for a core."""
    t0, cpu0 = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"],
        cwd=ROOT,
        env=project_env(db_name),
        capture_output=True,
        text=True,
    )
    seconds, cpu = time.perf_counter() - t0, _children_cpu() - cpu0
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"verify_audit: exit {done.returncode} in {seconds:.2f} s wall, {cpu:.2f} s CPU (with Django's start)")
    print(f"  load average {load} on {os.cpu_count()} cores")
    print("  " + (done.stdout or done.stderr).strip())
    if done.returncode != 0:
        raise SystemExit(2)
    return seconds


def time_views(requests: int) -> list[dict[str, float | str]]:
    from allauth.mfa.models import Authenticator
    from django.test import Client
    from django.urls import reverse

    from research_governance.accounts.mfa import provision_totp
    from research_governance.accounts.models import User

    auditor = User.objects.get(email="auditor@bench.example")
    # Auditors need a second factor (SEC-02): set one up as a real auditor would, once.
    if not Authenticator.objects.filter(user=auditor).exists():
        provision_totp(auditor, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")
    client.force_login(auditor, backend="django.contrib.auth.backends.ModelBackend")
    events = reverse("audit:events")
    scenarios = {
        "first page": (events, {}),
        "action + actor": (events, {"action": "protocol.submitted", "actor": "user77@bench.example"}),
        "object": (events, {"target_type": "protocols.protocol", "target_id": "4242"}),
        "deep page (keyset)": (events, {"before": "500000"}),
        "date range": (events, {"date_from": "2025-03-01", "date_to": "2025-03-31"}),
        "access log": (reverse("audit:access_log"), {}),
    }
    rows = []
    for name, (path, params) in scenarios.items():
        for _ in range(10):
            assert client.get(path, params).status_code == 200
        times, cpu = [], []
        for _ in range(requests):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path, params)
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
            assert response.status_code == 200
        times.sort()
        cpu.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        cpu95 = cpu[int(len(cpu) * 0.95) - 1]
        rows.append({"scenario": name, "p50_ms": statistics.median(times), "p95_ms": p95, "cpu_p95_ms": cpu95})
        print(
            f"  {name:<20} p50 {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   max {times[-1]:6.1f} ms"
            f"   (Python CPU p95 {cpu95:5.1f} ms)"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--reset", action="store_true", help="Drop and rebuild the database first.")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200, help="timed requests per view scenario")
    parser.add_argument("--seed", type=int, default=20270501)
    args = parser.parse_args()

    reset = args.reset or (database_exists(args.db_name) and event_count(args.db_name) != args.events)
    prepare_database(args.db_name, reset=reset)
    migrate_database(args.db_name)
    setup_django(args.db_name)
    if event_count(args.db_name) == 0:
        build(args.events, args.seed)
        vacuum(args.db_name)
    print(f"{event_count(args.db_name):,} audit events in {args.db_name}")

    verify_s = time_verify(args.db_name)
    print(f"Audit view, {args.requests} serial requests per scenario (in-process test client):")
    rows = time_views(args.requests)
    worst = max(float(row["p95_ms"]) for row in rows)
    met = verify_s < TARGETS["verify_s"] and worst < TARGETS["view_p95_ms"]
    verdict = "met" if met else "MISSED"
    print(f"Targets: verify < 10 s ({verify_s:.1f} s), view p95 < 100 ms (worst {worst:.1f} ms): {verdict}")
    raise SystemExit(0 if met else 1)


if __name__ == "__main__":
    main()
