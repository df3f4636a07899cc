#!/usr/bin/env python
"""Where a page's time goes, in the bench database: its SQL and a profile.

    .venv/bin/python bench/explain.py                          # dashboard as bench@ and busy@
    .venv/bin/python bench/explain.py --path /protocols/3318/ --user bench@bench.example
    .venv/bin/python bench/explain.py --profile 200            # also cProfile 200 requests

Renders the page in-process with Django's test client (signed in with force_login,
production settings, DEBUG off), lists every query with its time, and runs
EXPLAIN (ANALYZE, BUFFERS) on each SELECT. Read-only apart from the session row.
"""

import argparse
import cProfile
import io
import pstats
import time

from common import BUSY_EMAIL, DEFAULT_DB_NAME, TYPICAL_EMAIL, setup_django


def explain_page(path: str, email: str, *, plans: bool, repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from research_governance.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    for _ in range(3):  # warm: templates compiled, connection open, caches filled
        client.get(path)
    timings = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    with CaptureQueriesContext(connection) as captured:
        t0 = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - t0) * 1000
    assert response.status_code == 200, response.status_code
    sql_ms = sum(float(q["time"]) for q in captured.captured_queries) * 1000
    print(f"\n=== GET {path} as {email}: HTTP {response.status_code}, {len(response.content):,} bytes")
    print(
        f"    in-process median of {repeat}: {timings[len(timings) // 2]:.1f} ms; "
        f"this request {elapsed:.1f} ms, {len(captured)} queries, {sql_ms:.1f} ms in SQL (client side)"
    )
    for number, query in enumerate(captured.captured_queries, start=1):
        print(f"\n--- query {number}: {float(query['time']) * 1000:.2f} ms\n{query['sql']}")
        if plans and query["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print("\n".join("    " + row[0] for row in cursor.fetchall()))


def profile_page(path: str, email: str, requests: int) -> None:
    from django.test import Client

    from research_governance.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(email=email))
    for _ in range(3):
        client.get(path)
    profiler = cProfile.Profile()
    t0 = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        client.get(path)
    profiler.disable()
    elapsed = time.perf_counter() - t0
    print(f"\n=== profile of {requests} x GET {path} as {email}: {elapsed * 1000 / requests:.1f} ms per request")
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    print(out.getvalue())
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--path", default="/protocols/")
    parser.add_argument("--user", action="append", help=f"Email to sign in as (default {TYPICAL_EMAIL}, {BUSY_EMAIL}).")
    parser.add_argument("--no-plans", action="store_true", help="List the queries without EXPLAIN ANALYZE.")
    parser.add_argument("--repeat", type=int, default=50, help="Requests timed in-process per page.")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile N requests per user.")
    args = parser.parse_args()
    setup_django(args.db_name, ALLOWED_HOSTS="testserver")
    for email in args.user or [TYPICAL_EMAIL, BUSY_EMAIL]:
        explain_page(args.path, email, plans=not args.no_plans, repeat=args.repeat)
        if args.profile:
            profile_page(args.path, email, args.profile)


if __name__ == "__main__":
    main()
