"""Settings shared by the benchmark scripts: the bench database, the known users and
the environment the project runs with. Nothing here touches the development database."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"

DEFAULT_DB_NAME = "research_governance_bench"
PG_HOST = "127.0.0.1"
PG_PORT = 5432
PG_USER = "postgres"

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - a benchmark account on a throwaway database
TYPICAL_EMAIL = "bench@bench.example"
BUSY_EMAIL = "busy@bench.example"
BENCH_SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105
# The people whose home page ("Waiting for you") is measured in each role, and the authenticator
# secret (base32) they sign in with (SEC-02: every role but the investigator's needs one).
ROLE_USERS = {
    "secretariat1@bench.example": "secretariat",
    "reviewer@bench.example": "committee_member",
    "chair@bench.example": "chair",
    "head@bench.example": "head",
    "dac@bench.example": "data_access_committee",
    "auditor@bench.example": "auditor",
}
BENCH_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105


def database_url(db_name: str) -> str:
    return f"postgres://{PG_USER}@{PG_HOST}:{PG_PORT}/{db_name}"


def admin_conninfo(db_name: str = "postgres") -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={db_name}"


def project_env(db_name: str, **extra: str) -> dict[str, str]:
    """The environment the project runs with against the bench database: production-like
    (DEBUG off, static files from the manifest), no Redis, so /healthz is SELECT 1 only."""
    env = os.environ.copy()
    # Variables from the caller's shell that would change what is measured.
    for name in (
        "REDIS_URL",
        "CACHE_URL",
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_CONN_MAX_AGE",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "TRUST_X_FORWARDED_PROTO",
        "CSRF_TRUSTED_ORIGINS",
        "TIME_ZONE",
    ):
        env.pop(name, None)
    env.update(
        DATABASE_URL=database_url(db_name),
        SECRET_KEY=env.get("BENCH_SECRET_KEY", BENCH_SECRET_KEY),
        DEBUG="0",
        SECURE_COOKIES="0",
        ALLOWED_HOSTS="127.0.0.1",
        # Required outside DEBUG (core.E002); only mails and letters print it.
        SITE_URL=env.get("SITE_URL", "http://127.0.0.1"),
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def setup_django(db_name: str, **extra: str) -> None:
    """Configure this process for the bench database and import Django."""
    env = project_env(db_name, **extra)
    os.environ.clear()
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "research_governance.settings"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
