"""Settings come from the environment; with nothing set the app runs on SQLite with inline tasks."""

import json
import os
import subprocess
import sys

from django.conf import settings

PROBE = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "name": str(settings.DATABASES["default"]["NAME"]),
    "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "mail": settings.EMAIL_BACKEND,
    "tz": settings.TIME_ZONE,
}))
"""


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "DEBUG", "TIME_ZONE", "EMAIL_HOST"}
    }
    clean["DJANGO_SETTINGS_MODULE"] = "research_governance.settings"
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        env={**clean, **env},
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )


def test_with_nothing_set_it_uses_sqlite_in_the_project_inline_tasks_and_console_mail():
    result = run_python(PROBE)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(settings.BASE_DIR / "db.sqlite3")
    assert found["eager"] is True
    assert found["mail"] == "django.core.mail.backends.console.EmailBackend"
    assert found["tz"] == "Asia/Tokyo"


def test_the_environment_chooses_postgresql_redis_smtp_and_the_time_zone():
    result = run_python(
        PROBE,
        DATABASE_URL="postgres://someone@db.internal:5432/governance",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_HOST="smtp.internal",
        TIME_ZONE="America/New_York",
    )
    found = json.loads(result.stdout)
    assert found["engine"] == "django.db.backends.postgresql"
    assert found["name"] == "governance"
    assert found["eager"] is False
    assert found["mail"] == "django.core.mail.backends.smtp.EmailBackend"
    assert found["tz"] == "America/New_York"


def test_serving_without_a_secret_key_is_refused_unless_debug():
    code = "import research_governance.wsgi"
    refused = run_python(code)
    assert refused.returncode != 0
    assert "Set SECRET_KEY before serving" in refused.stderr
    assert run_python(code, DEBUG="1").returncode == 0
    assert run_python(code, SECRET_KEY="a-real-secret").returncode == 0
