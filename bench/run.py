#!/usr/bin/env python
"""Load-test the project under gunicorn against the bench database.

    .venv/bin/python bench/run.py                 # 15 s per scenario, 16 client threads
    .venv/bin/python bench/run.py --duration 5 --concurrency 8 --worker-class gthread --threads 2

Starts gunicorn on 127.0.0.1 (a free port) with the production settings (DEBUG off),
signs in the two known users, and drives four scenarios with keep-alive http.client
connections, one per client thread:

    ceiling            GET /healthz             anonymous; SELECT 1, no Redis (the floor cost of a Django request)
    dashboard_typical  GET /protocols/          bench@ (9 protocols)
    dashboard_busy     GET /protocols/          busy@ (on the team of 500 protocols)
    uncached_dashboard_typical / _busy   GET /protocols/?page=1: the same page bypassing the per-user cache
    protocol_page      GET /protocols/<pk>/     bench@, one of their submitted protocols
    home_investigator / home_busy   GET /home/  "Waiting for you" as bench@ and busy@
    home_<role>        GET /home/               as the person in each committee role (common.ROLE_USERS;
                                                they sign in with their authenticator code)

Prints a table, checks the dashboard and home targets (p95 < 50 ms, throughput >= 20 % of the
ceiling), writes bench/results/<timestamp>.json, and always stops gunicorn. Exit status:
0 all targets met, 1 a target missed, 2 the run failed. Only 127.0.0.1 is contacted.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import math
import os
import platform
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from common import (
    BENCH_DIR,
    BENCH_PASSWORD,
    BENCH_TOTP_SECRET,
    BUSY_EMAIL,
    DEFAULT_DB_NAME,
    RESULTS_DIR,
    ROLE_USERS,
    ROOT,
    TYPICAL_EMAIL,
    admin_conninfo,
    project_env,
)

HOST = "127.0.0.1"
TARGET_P95_MS = 50.0
TARGET_SHARE_OF_CEILING = 20.0  # percent
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------------------
# CPU accounting from /proc: who used the two cores during a measurement
# ---------------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, int, float] | None:
    """(comm, ppid, CPU seconds incl. reaped children) of a process, or None if it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    comm = raw[raw.index("(") + 1 : raw.rindex(")")]
    fields = raw[raw.rindex(")") + 2 :].split()
    ticks = sum(int(value) for value in fields[11:15])  # utime, stime, cutime, cstime
    return comm, int(fields[1]), ticks / CLK_TCK


def cpu_snapshot(gunicorn_pid: int) -> dict[str, float]:
    gunicorn = postgres = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        info = _stat(pid)
        if info is None:
            continue
        comm, ppid, seconds = info
        if pid == gunicorn_pid or ppid == gunicorn_pid:
            gunicorn += seconds
        elif comm == "postgres" or comm.startswith("postgres:"):
            postgres += seconds
    with open("/proc/stat") as handle:
        values = [int(v) for v in handle.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return {
        "gunicorn": gunicorn,
        "postgres": postgres,
        "client": time.process_time(),
        "busy": (sum(values[:8]) - idle) / CLK_TCK,
        "total": sum(values[:8]) / CLK_TCK,
    }


def machine_busy_pct(seconds: float = 2.0) -> float:
    """How busy the machine is before we start (other people's tests skew the figures)."""

    def sample() -> tuple[int, int]:
        with open("/proc/stat") as handle:
            values = [int(v) for v in handle.readline().split()[1:9]]
        return sum(values) - values[3] - values[4], sum(values)

    busy0, total0 = sample()
    time.sleep(seconds)
    busy1, total1 = sample()
    return round(100.0 * (busy1 - busy0) / max(total1 - total0, 1), 1)


def cpu_delta(before: dict[str, float], after: dict[str, float], requests: int, wall: float) -> dict[str, float]:
    delta = {key: after[key] - before[key] for key in before}
    cores = os.cpu_count() or 1
    per_request = 1000.0 / max(requests, 1)
    other = delta["busy"] - delta["gunicorn"] - delta["postgres"] - delta["client"]
    return {
        "machine_busy_pct": round(100 * delta["busy"] / max(delta["total"], 1e-9), 1),
        "gunicorn_cores": round(delta["gunicorn"] / wall, 2),
        "postgres_cores": round(delta["postgres"] / wall, 2),
        "client_cores": round(delta["client"] / wall, 2),
        "other_cores": round(max(other, 0.0) / wall, 2),
        "gunicorn_cpu_ms_per_request": round(delta["gunicorn"] * per_request, 2),
        "postgres_cpu_ms_per_request": round(delta["postgres"] * per_request, 2),
        "client_cpu_ms_per_request": round(delta["client"] * per_request, 2),
        "cores": cores,
    }


# ---------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def read_cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            jar[name] = morsel.value


def cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


def sign_in(port: int, email: str, password: str) -> str:
    """POST the allauth login form like a browser; return the Cookie header of the session."""
    base = f"http://{HOST}:{port}"
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", "/accounts/login/")
        response = conn.getresponse()
        page = response.read().decode()
        read_cookies(response, jar)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if response.status != 200 or match is None or "csrftoken" not in jar:
            raise RuntimeError(f"login page: HTTP {response.status}, no CSRF token")
        body = urlencode({"login": email, "password": password, "csrfmiddlewaretoken": match.group(1)})
        conn.request(
            "POST",
            "/accounts/login/",
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": cookie_header(jar),
                "Referer": f"{base}/accounts/login/",
                "Origin": base,
            },
        )
        response = conn.getresponse()
        response.read()
        read_cookies(response, jar)
        if response.status == 302 and response.getheader("Location", "").endswith(MFA_PATH):
            response = second_factor(conn, base, jar)
        if response.status != 302 or "sessionid" not in jar:
            raise RuntimeError(f"sign-in of {email} failed: HTTP {response.status}")
    finally:
        conn.close()
    return cookie_header(jar)


MFA_PATH = "/accounts/2fa/authenticate/"


def totp_code(secret: str = BENCH_TOTP_SECRET) -> str:
    """The code an authenticator app shows now (RFC 6238: SHA-1, 30-second steps, 6 digits)."""
    counter = int(time.time() // 30)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def second_factor(conn: http.client.HTTPConnection, base: str, jar: dict[str, str]) -> http.client.HTTPResponse:
    """The authenticator step of signing in, for the people in a committee role (SEC-02)."""
    conn.request("GET", MFA_PATH, headers={"Cookie": cookie_header(jar)})
    response = conn.getresponse()
    page = response.read().decode()
    read_cookies(response, jar)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if response.status != 200 or match is None:
        raise RuntimeError(f"second-factor page: HTTP {response.status}, no CSRF token")
    conn.request(
        "POST",
        MFA_PATH,
        body=urlencode({"code": totp_code(), "csrfmiddlewaretoken": match.group(1)}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie_header(jar),
            "Referer": f"{base}{MFA_PATH}",
            "Origin": base,
        },
    )
    response = conn.getresponse()
    response.read()
    read_cookies(response, jar)
    return response


def fetch(port: int, path: str, cookie: str | None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Load generation
# ---------------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    path: str
    user: str | None
    description: str
    cookie: str | None = None


@dataclass
class Result:
    name: str
    path: str
    user: str | None
    description: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    rps: float = 0.0
    median_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    mean_ms: float = 0.0
    max_ms: float = 0.0
    share_of_ceiling_pct: float | None = None
    serial_requests: int = 0
    serial_median_ms: float | None = None
    serial_p95_ms: float | None = None
    response_bytes: int = 0
    cpu: dict[str, float] = field(default_factory=dict)


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    rank = max(1, math.ceil(q * len(sorted_values)))  # nearest rank
    return sorted_values[rank - 1]


class Budget:
    """Stop condition shared by the client threads: a deadline, and optionally a request count."""

    def __init__(self, seconds: float, requests: int | None) -> None:
        self.seconds = seconds
        self.deadline = 0.0
        self.left = requests
        self.lock = threading.Lock()

    def start(self) -> None:
        self.deadline = time.perf_counter() + self.seconds

    def take(self) -> bool:
        if time.perf_counter() >= self.deadline:
            return False
        if self.left is None:
            return True
        with self.lock:
            if self.left <= 0:
                return False
            self.left -= 1
            return True


def client(port: int, path: str, cookie: str | None, budget: Budget, start: threading.Barrier, out: list) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start.wait()
    try:
        while budget.take():
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
                # Sync workers answer "Connection: close"; http.client then reconnects by itself.
            except (OSError, http.client.HTTPException):
                status = 0
                conn.close()
            latencies.append((time.perf_counter() - t0) * 1000.0)
            statuses[status] = statuses.get(status, 0) + 1
    finally:
        conn.close()
        out.append((latencies, statuses, time.perf_counter()))


def drive(port: int, path: str, cookie: str | None, *, concurrency: int, seconds: float, requests: int | None) -> dict:
    budget = Budget(seconds, requests)
    # The clock starts when every thread has its connection object and is waiting.
    start = threading.Barrier(concurrency + 1, action=budget.start)
    out: list = []
    threads = [
        threading.Thread(target=client, args=(port, path, cookie, budget, start, out), daemon=True)
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join(seconds + 60)
    latencies = sorted(value for lat, _, _ in out for value in lat)
    statuses: dict[str, int] = {}
    for _, counts, _ in out:
        for status, n in counts.items():
            statuses[str(status)] = statuses.get(str(status), 0) + n
    ended = max((end for _, _, end in out), default=time.perf_counter())
    return {"latencies": latencies, "statuses": statuses, "seconds": ended - began}


def run_scenario(port: int, scenario: Scenario, args: argparse.Namespace, gunicorn_pid: int) -> Result:
    result = Result(scenario.name, scenario.path, scenario.user, scenario.description, args.concurrency)
    status, body = fetch(port, scenario.path, scenario.cookie)
    if status != 200:
        raise RuntimeError(f"{scenario.name}: GET {scenario.path} answered HTTP {status} before the run")
    result.response_bytes = len(body)
    if args.warmup > 0:
        drive(port, scenario.path, scenario.cookie, concurrency=args.concurrency, seconds=args.warmup, requests=None)
    before = cpu_snapshot(gunicorn_pid)
    run = drive(
        port,
        scenario.path,
        scenario.cookie,
        concurrency=args.concurrency,
        seconds=args.duration if args.requests is None else args.max_duration,
        requests=args.requests,
    )
    after = cpu_snapshot(gunicorn_pid)
    latencies = run["latencies"]
    result.requests = len(latencies)
    result.statuses = run["statuses"]
    result.errors = sum(n for status, n in run["statuses"].items() if status != "200")
    result.seconds = round(run["seconds"], 3)
    result.rps = round(result.requests / run["seconds"], 1) if run["seconds"] > 0 else 0.0
    result.median_ms = round(percentile(latencies, 0.5), 2)
    result.p95_ms = round(percentile(latencies, 0.95), 2)
    result.p99_ms = round(percentile(latencies, 0.99), 2)
    result.mean_ms = round(sum(latencies) / len(latencies), 2) if latencies else 0.0
    result.max_ms = round(latencies[-1], 2) if latencies else 0.0
    result.cpu = cpu_delta(before, after, result.requests, run["seconds"])
    if args.serial_requests:
        serial = drive(
            port,
            scenario.path,
            scenario.cookie,
            concurrency=1,
            seconds=args.max_duration,
            requests=args.serial_requests,
        )
        result.serial_requests = len(serial["latencies"])
        result.serial_median_ms = round(percentile(serial["latencies"], 0.5), 2)
        result.serial_p95_ms = round(percentile(serial["latencies"], 0.95), 2)
    return result


# ---------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------


def bench_state(db_name: str) -> dict[str, Any] | None:
    """Facts about the bench database, or None if it is missing or empty."""
    try:
        with psycopg.connect(admin_conninfo(db_name), connect_timeout=5) as conn:
            users = dict(
                conn.execute(
                    "SELECT email, id FROM accounts_user WHERE email IN (%s, %s)", [TYPICAL_EMAIL, BUSY_EMAIL]
                ).fetchall()
            )
            if len(users) < 2:
                return None
            row = conn.execute(
                "SELECT id FROM protocols_protocol WHERE principal_investigator_id = %s AND status = 'submitted' "
                "ORDER BY id LIMIT 1",
                [users[TYPICAL_EMAIL]],
            ).fetchone()
            counts = {}
            for table in (
                "accounts_user",
                "protocols_protocol",
                "protocols_protocoluserobjectpermission",
                "protocols_document",
                "protocols_documentversion",
                "reviews_submission",
                "audit_auditevent",
            ):
                counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
            return {"protocol_pk": row[0] if row else None, "counts": counts}
    except psycopg.OperationalError:
        return None
    except psycopg.errors.UndefinedTable:
        return None


def collectstatic_if_needed(db_name: str, force: bool) -> None:
    manifest = ROOT / "var" / "static" / "staticfiles.json"
    needed = force or not manifest.exists()
    if not needed:
        stamp = manifest.stat().st_mtime
        needed = any(path.stat().st_mtime > stamp for path in (ROOT / "static").rglob("*") if path.is_file())
    if needed:
        print("Running collectstatic (the manifest is missing or older than static/)")
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
            cwd=ROOT,
            env=project_env(db_name),
            check=True,
        )


def start_gunicorn(args: argparse.Namespace, port: int, log_path: Path) -> subprocess.Popen:
    env = project_env(args.db_name)
    if args.floor:
        env["DJANGO_SETTINGS_MODULE"] = "bench.floor_settings"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "research_governance.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--timeout",
        "30",
        "--graceful-timeout",
        "5",
        "--keep-alive",
        "5",
        "--log-level",
        "warning",
        "--error-logfile",
        str(log_path),
        "--no-control-socket",
    ]
    # A session of its own, so the whole process group (master and workers) can be stopped.
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_ready(process: subprocess.Popen, port: int, log_path: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}; see {log_path}:\n{tail(log_path)}")
        try:
            status, _ = fetch(port, "/healthz", None)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {timeout:.0f} s; see {log_path}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# ---------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------


def print_table(results: list[Result]) -> None:
    header = (
        f"{'scenario':<18} {'requests':>8} {'errors':>6} {'median ms':>9} {'p95 ms':>8} {'req/s':>8} "
        f"{'% ceiling':>9} {'1-client p50/p95 ms':>20} {'app CPU ms/req':>14} {'DB CPU ms/req':>13}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        share = f"{r.share_of_ceiling_pct:.1f}" if r.share_of_ceiling_pct is not None else "-"
        serial = f"{r.serial_median_ms:.1f} / {r.serial_p95_ms:.1f}" if r.serial_median_ms is not None else "-"
        print(
            f"{r.name:<18} {r.requests:>8} {r.errors:>6} {r.median_ms:>9.1f} {r.p95_ms:>8.1f} {r.rps:>8.1f} "
            f"{share:>9} {serial:>20} {r.cpu.get('gunicorn_cpu_ms_per_request', 0):>14.2f} "
            f"{r.cpu.get('postgres_cpu_ms_per_request', 0):>13.2f}"
        )
    print()
    print(f"CPU during each run, in cores (the machine has {os.cpu_count() or 1}):")
    for r in results:
        c = r.cpu
        print(
            f"  {r.name:<18} gunicorn {c['gunicorn_cores']:.2f}  postgres {c['postgres_cores']:.2f}  "
            f"client {c['client_cores']:.2f}  other {c['other_cores']:.2f}  "
            f"(machine busy {c['machine_busy_pct']:.0f} %)"
        )


def noisy(results: list[Result], limit: float = 0.15) -> list[str]:
    """Scenarios during which other processes took a noticeable share of the CPU."""
    return [r.name for r in results if r.cpu.get("other_cores", 0) > limit]


def check_targets(results: list[Result]) -> list[dict[str, Any]]:
    checks = []
    for r in results:
        if not r.name.startswith(("dashboard", "home")):
            continue
        checks.append(
            {
                "scenario": r.name,
                "check": f"p95 < {TARGET_P95_MS:.0f} ms",
                "value": r.p95_ms,
                "passed": r.p95_ms < TARGET_P95_MS and r.errors == 0,
            }
        )
        checks.append(
            {
                "scenario": r.name,
                "check": f"throughput >= {TARGET_SHARE_OF_CEILING:.0f} % of ceiling",
                "value": r.share_of_ceiling_pct,
                "passed": (r.share_of_ceiling_pct or 0) >= TARGET_SHARE_OF_CEILING and r.errors == 0,
            }
        )
    return checks


# ---------------------------------------------------------------------------------------


def git_commit() -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def parse_args() -> argparse.Namespace:
    cores = os.cpu_count() or 1
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db-name", default=DEFAULT_DB_NAME)
    parser.add_argument("--duration", type=float, default=15.0, help="Seconds per scenario (default 15).")
    parser.add_argument("--requests", type=int, help="Fixed request count per scenario instead of a duration.")
    parser.add_argument("--max-duration", type=float, default=120.0, help="Upper bound with --requests.")
    parser.add_argument("--concurrency", type=int, default=16, help="Client threads (default 16).")
    parser.add_argument("--warmup", type=float, default=2.0, help="Unmeasured seconds before each scenario.")
    parser.add_argument(
        "--serial-requests", type=int, default=200, help="Requests of a 1-client pass after each scenario (0: none)."
    )
    parser.add_argument("--workers", type=int, default=2 * cores + 1, help="gunicorn workers (default 2*cores+1).")
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=1, help="Threads per worker (gthread).")
    parser.add_argument("--only", nargs="*", help="Run only these scenarios (the ceiling always runs).")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="Also measure two reference pages (bench/floor_urls.py): a signed-in no-op and the bare layout.",
    )
    parser.add_argument(
        "--wait-quiet", type=float, default=0, metavar="S", help="Wait up to S seconds for an idle machine first."
    )
    parser.add_argument("--no-generate", action="store_true", help="Fail instead of generating a missing database.")
    parser.add_argument("--collectstatic", action="store_true", help="Run collectstatic even if it looks current.")
    args = parser.parse_args()
    if args.worker_class == "sync" and args.threads != 1:
        parser.error("--threads needs --worker-class gthread (gunicorn would switch silently)")
    return args


def main() -> int:
    args = parse_args()
    # SIGTERM (e.g. from make or CI) unwinds like Ctrl-C, so gunicorn is stopped in `finally`.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))

    state = bench_state(args.db_name)
    if state is None:
        if args.no_generate:
            print(
                f"The bench database {args.db_name} is missing or empty: run bench/generate.py --reset", file=sys.stderr
            )
            return 2
        print(f"The bench database {args.db_name} is missing or empty; generating it")
        subprocess.run([sys.executable, str(BENCH_DIR / "generate.py"), "--db-name", args.db_name], check=True)
        state = bench_state(args.db_name)
        if state is None:
            print("Generation did not produce the known users", file=sys.stderr)
            return 2
    if state["protocol_pk"] is None:
        print(f"{TYPICAL_EMAIL} has no submitted protocol", file=sys.stderr)
        return 2
    collectstatic_if_needed(args.db_name, args.collectstatic)

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log_path = RESULTS_DIR / f"{stamp}-gunicorn.log"
    port = free_port()
    busy_before = machine_busy_pct()
    waited = 0.0
    while busy_before > 15 and waited < args.wait_quiet:
        print(f"the machine is {busy_before:.0f} % busy; waiting for it to quieten", flush=True)
        time.sleep(8)
        waited += 10
        busy_before = machine_busy_pct()
    load_before = os.getloadavg()
    if busy_before > 15:
        print(
            f"warning: the machine is already {busy_before:.0f} % busy before the run; "
            "figures will be pessimistic (see the 'other' CPU column)",
            file=sys.stderr,
        )
    process = start_gunicorn(args, port, log_path)
    results: list[Result] = []
    try:
        wait_ready(process, port, log_path)
        print(
            f"gunicorn {args.worker_class} workers={args.workers} threads={args.threads} on {HOST}:{port}; "
            f"{args.concurrency} client threads, "
            + (f"{args.requests} requests" if args.requests else f"{args.duration:g} s")
            + f" per scenario after {args.warmup:g} s warm-up"
        )
        pk = state["protocol_pk"]
        scenarios = [
            Scenario("ceiling", "/healthz", None, "trivial view: SELECT 1, anonymous"),
            Scenario("dashboard_typical", "/protocols/", TYPICAL_EMAIL, "dashboard, 9 protocols"),
            Scenario("dashboard_busy", "/protocols/", BUSY_EMAIL, "dashboard, team of 500 protocols"),
            Scenario("protocol_page", f"/protocols/{pk}/", TYPICAL_EMAIL, "protocol page of a submitted protocol"),
            # Any query string bypasses the dashboard's per-user cache: the cost of a first visit
            # after a change (reported, not a target).
            Scenario("uncached_dashboard_typical", "/protocols/?page=1", TYPICAL_EMAIL, "dashboard rendered afresh"),
            Scenario("uncached_dashboard_busy", "/protocols/?page=1", BUSY_EMAIL, "dashboard rendered afresh, 500"),
            # Each role's home, "Waiting for you": no page cache, read from the inbox on every request.
            Scenario("home_investigator", "/home/", TYPICAL_EMAIL, "home, PI of 6 protocols"),
            Scenario("home_busy", "/home/", BUSY_EMAIL, "home, team of 500 protocols"),
            *(Scenario(f"home_{role}", "/home/", email, f"home as {role}") for email, role in ROLE_USERS.items()),
        ]
        if args.floor:
            scenarios[1:1] = [
                Scenario("signed_in_noop", "/bench-floor/noop", TYPICAL_EMAIL, "reference: session + user, no page"),
                Scenario("signed_in_layout", "/bench-floor/layout", TYPICAL_EMAIL, "reference: empty base.html"),
            ]
        if args.only:
            scenarios = [s for s in scenarios if s.name == "ceiling" or s.name in args.only]
        # Only the people the chosen scenarios need (an authenticator code is good once).
        cookies = {
            email: sign_in(port, email, BENCH_PASSWORD) for email in dict.fromkeys(s.user for s in scenarios if s.user)
        }
        for scenario in scenarios:
            scenario.cookie = cookies.get(scenario.user or "")
            print(f"  running {scenario.name:<18} GET {scenario.path}", flush=True)
            results.append(run_scenario(port, scenario, args, process.pid))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 2
    except Exception as error:
        print(f"benchmark failed: {error}", file=sys.stderr)
        log = tail(log_path)
        if log:
            print(f"--- {log_path} ---\n{log}", file=sys.stderr)
        return 2
    finally:
        stop_gunicorn(process)
        if log_path.exists() and log_path.stat().st_size == 0:
            log_path.unlink()

    ceiling = results[0].rps
    for r in results:
        r.share_of_ceiling_pct = round(100.0 * r.rps / ceiling, 1) if ceiling else None
    print()
    print_table(results)
    disturbed = noisy(results)
    if disturbed:
        print(
            f"note: other processes used more than 0.15 cores during {', '.join(disturbed)}; "
            "rerun on a quiet machine (--wait-quiet) for firm figures"
        )
    checks = check_targets(results)
    print()
    for check in checks:
        verdict = "PASS" if check["passed"] else "FAIL"
        print(f"{verdict}  {check['scenario']:<18} {check['check']:<32} measured {check['value']}")

    report = {
        "timestamp": stamp,
        "host": {
            "cpus": os.cpu_count(),
            "loadavg_before": [round(v, 2) for v in load_before],
            "machine_busy_before_pct": busy_before,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "git_commit": git_commit(),
        },
        "config": {
            "database": args.db_name,
            "worker_class": args.worker_class,
            "workers": args.workers,
            "threads": args.threads,
            "concurrency": args.concurrency,
            "duration_s": args.duration if args.requests is None else None,
            "requests": args.requests,
            "warmup_s": args.warmup,
            "serial_requests": args.serial_requests,
            "floor_pages": args.floor,
            "keep_alive_client": True,
            "server_keeps_alive": args.worker_class == "gthread",
        },
        "database_rows": state["counts"],
        "targets": {
            "dashboard_and_home_p95_ms_below": TARGET_P95_MS,
            "dashboard_and_home_share_of_ceiling_pct_at_least": 20.0,
        },
        "results": [asdict(r) for r in results],
        "checks": checks,
        "disturbed_by_other_processes": disturbed,
    }
    out = RESULTS_DIR / f"{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")
    return 0 if all(check["passed"] for check in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
