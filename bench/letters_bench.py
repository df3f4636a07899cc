#!/usr/bin/env python
"""Decision letters: render time and throughput (not a test; prints the figures).

    .venv/bin/python bench/letters_bench.py                    # both parts
    .venv/bin/python bench/letters_bench.py --renders 50 --letters 200
    .venv/bin/python bench/letters_bench.py --skip-workers     # render time only (no PostgreSQL/Redis)

1. Render time: the median (and p90, min, max) of rendering a two-page Japanese letter in-process
   (template, QR code, WeasyPrint with the IPAex TrueType fonts), after a few warm-up renders.
   Target: median < 300 ms.
2. Throughput: letters per minute made by one Celery worker with two worker processes
   (prefork, --concurrency 2) against a dedicated PostgreSQL database
   (research_governance_letters_bench, dropped and recreated) and Redis (REDIS_URL, default
   redis://127.0.0.1:6379/14, on a queue of its own). Each letter is a task: load the decision,
   render, hash, store the file and the row, audit. The clock runs from queueing the first task
   to the last letter's row.

Only 127.0.0.1 is contacted. Writes bench/results/letters-<timestamp>.json.
"""

import argparse
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from common import RESULTS_DIR, ROOT, admin_conninfo, project_env, setup_django
from psycopg import sql

DB_NAME = "research_governance_letters_bench"
TARGET_MEDIAN_MS = 300.0


def render_time(renders: int, warmup: int) -> dict[str, float | int]:
    from pypdf import PdfReader

    from research_governance.letters.content import sample_content
    from research_governance.letters.services import render_content

    content = sample_content("ja", "permission")
    pages = len(PdfReader(io.BytesIO(render_content(content))).pages)
    for _ in range(warmup):
        render_content(content)
    times = []
    for _ in range(renders):
        started = time.perf_counter()
        render_content(content)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "pages": pages,
        "renders": renders,
        "median_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "min_ms": round(times[0], 1),
        "max_ms": round(times[-1], 1),
    }


def recreate_database() -> None:
    with psycopg.connect(admin_conninfo(), autocommit=True) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(DB_NAME)))
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DB_NAME)))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=project_env(DB_NAME), check=True
    )


def make_decisions(count: int) -> list[int]:
    """One approved protocol and ``count`` acknowledged progress reports on it: each decision is
    a letter to render per language."""
    from django.utils import timezone

    from research_governance.accounts.models import Institution, Role, RoleMembership, User
    from research_governance.committees.models import Committee
    from research_governance.protocols import services as protocol_services
    from research_governance.protocols.models import ProtocolVersion
    from research_governance.reviews.models import Decision, Submission

    institution = Institution.objects.create(code="bench", name_ja="ベンチ大学病院", name_en="Bench Hospital")
    Committee.objects.create(
        institution=institution, code="bench-erc", name_ja="倫理審査委員会", name_en="Ethics Committee", kind="ethics"
    )
    pi = User.objects.create_user("pi@letters.bench", "x" * 12, name_ja="研究 太郎", institution=institution)
    officer = User.objects.create_user("chair@letters.bench", "x" * 12, name_ja="委員長 花子", institution=institution)
    RoleMembership.objects.create(user=pi, institution=institution, role=Role.INVESTIGATOR)
    RoleMembership.objects.create(user=officer, institution=institution, role=Role.CHAIR)
    protocol = protocol_services.protocol_create(
        by=pi, title_ja="大腸がん患者の血中バイオマーカーによる再発予測に関する多機関共同観察研究", title_en=""
    )
    version = ProtocolVersion.objects.create(
        protocol=protocol, number=1, created_by=pi, snapshot={"form": {"title_ja": protocol.title_ja}}
    )
    now = timezone.now()
    submissions = Submission.objects.bulk_create(
        Submission(
            protocol=protocol,
            version=version,
            kind="progress_report",
            status="decided",
            submitted_by=pi,
            submitted_at=now,
            status_changed_at=now,
            route="expedited",
        )
        for _ in range(count)
    )
    reasons = "研究の進捗について報告を受け、その内容を確認した。" * 6
    decisions = Decision.objects.bulk_create(
        Decision(
            submission=submission,
            outcome="acknowledge",
            reasons=reasons,
            decided_at=now,
            decided_by=officer,
            route="expedited",
        )
        for submission in submissions
    )
    return [decision.pk for decision in decisions]


def throughput(letters: int, redis_url: str, concurrency: int) -> dict[str, float | int]:
    from django.db import connection

    from research_governance import celery_app
    from research_governance.letters.models import Letter
    from research_governance.letters.tasks import render_letter

    decisions = make_decisions((letters + 1) // 2)
    connection.close()
    queue = f"letters-bench-{uuid.uuid4().hex[:8]}"
    media = Path(tempfile.mkdtemp(prefix="letters-bench-media-"))
    env = project_env(DB_NAME, REDIS_URL=redis_url, MEDIA_ROOT=str(media))
    log = tempfile.NamedTemporaryFile(prefix="letters-bench-worker-", suffix=".log", delete=False)  # noqa: SIM115
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "research_governance",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--queues",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(6)  # let the worker start before the clock runs
        jobs = [(decision, "decision", language) for decision in decisions for language in ("ja", "en")][:letters]
        started = time.perf_counter()
        with celery_app.connection_for_write(redis_url) as broker, broker.Producer() as producer:
            for job in jobs:
                render_letter.apply_async(job, queue=queue, producer=producer)
        made = 0
        deadline = started + 600
        while made < len(jobs):
            if worker.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(f"the worker stopped or timed out; see {log.name}")
            time.sleep(0.2)
            made = Letter.objects.count()
        elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        shutil.rmtree(media, ignore_errors=True)
    return {
        "letters": len(jobs),
        "worker_processes": concurrency,
        "seconds": round(elapsed, 2),
        "letters_per_minute": round(len(jobs) / elapsed * 60, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--renders", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--letters", type=int, default=120)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14")
    parser.add_argument("--skip-workers", action="store_true")
    args = parser.parse_args()

    if not args.skip_workers:
        print(f"Recreating {DB_NAME} ...", flush=True)
        recreate_database()
    setup_django(DB_NAME, REDIS_URL=args.redis_url)
    result: dict[str, object] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        # Other work on the machine skews both figures; the load average says how much there was.
        "load_average_before": os.getloadavg(),
    }
    print(f"Load average before: {' '.join(f'{value:.2f}' for value in os.getloadavg())} on {os.cpu_count()} CPUs")
    rendering = render_time(args.renders, args.warmup)
    result["render"] = rendering
    verdict = "met" if rendering["median_ms"] < TARGET_MEDIAN_MS else "MISSED"
    print(
        f"Render, {rendering['pages']}-page Japanese letter: median {rendering['median_ms']} ms, "
        f"p90 {rendering['p90_ms']} ms, min {rendering['min_ms']} ms, max {rendering['max_ms']} ms "
        f"over {rendering['renders']} renders (target < {TARGET_MEDIAN_MS:.0f} ms: {verdict})"
    )
    if not args.skip_workers:
        flow = throughput(args.letters, args.redis_url, args.concurrency)
        result["throughput"] = flow
        print(
            f"Throughput: {flow['letters']} letters in {flow['seconds']} s with {flow['worker_processes']} worker "
            f"processes = {flow['letters_per_minute']} letters per minute"
        )
    RESULTS_DIR.mkdir(exist_ok=True)
    target = RESULTS_DIR / f"letters-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    target.write_text(json.dumps(result, indent=2))
    print(f"Written {target.relative_to(ROOT)}")
    return 0 if verdict == "met" else 1


if __name__ == "__main__":
    sys.exit(main())
