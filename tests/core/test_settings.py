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


STORAGE_PROBE = """
import json, django
from urllib.parse import parse_qs, urlsplit
from django.conf import settings
django.setup()
from django.core.files.storage import storages
default_storage = storages["default"]
found = {"backend": settings.STORAGES["default"]["BACKEND"], "class": type(default_storage).__name__}
if found["class"] == "S3Storage":
    # Signing a URL and choosing upload parameters happen locally: nothing reaches S3 here.
    url = urlsplit(default_storage.url("letters/2026/letter.pdf"))
    found.update(
        url_host=url.netloc,
        url_path=url.path,
        url_query=parse_qs(url.query),
        write_parameters=default_storage._get_write_parameters("letters/2026/letter.pdf"),
        default_acl=default_storage.default_acl,
        file_overwrite=default_storage.file_overwrite,
        region=default_storage.region_name,
    )
print(json.dumps(found))
"""


def test_documents_are_on_the_local_disk_unless_a_bucket_is_named():
    result = run_python(STORAGE_PROBE, AWS_STORAGE_BUCKET_NAME="")
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found == {
        "backend": "django.core.files.storage.FileSystemStorage",
        "class": "FileSystemStorage",
    }


def test_a_bucket_puts_documents_on_s3_compatible_storage_private_and_behind_signed_urls():
    result = run_python(
        STORAGE_PROBE,
        AWS_STORAGE_BUCKET_NAME="governance-documents",
        AWS_S3_ENDPOINT_URL="https://objects.example.internal:9000",
        AWS_S3_REGION_NAME="ap-northeast-1",
        AWS_ACCESS_KEY_ID="test-access-key",
        AWS_SECRET_ACCESS_KEY="test-secret-key",
        AWS_S3_ADDRESSING_STYLE="path",
    )
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["backend"] == "storages.backends.s3.S3Storage"
    assert found["class"] == "S3Storage"
    assert found["region"] == "ap-northeast-1"
    # The configured endpoint, path-style addressing.
    assert found["url_host"] == "objects.example.internal:9000"
    assert found["url_path"] == "/governance-documents/letters/2026/letter.pdf"
    # Never a public URL: signed, and valid for five minutes only.
    assert "X-Amz-Signature" in found["url_query"]
    assert found["url_query"]["X-Amz-Expires"] == ["300"]
    # No ACL sent, so never public-read; the object takes the bucket's private default.
    assert found["default_acl"] is None
    assert "ACL" not in found["write_parameters"]
    assert found["write_parameters"]["ContentType"] == "application/pdf"
    # A letter is never overwritten in place: a clashing name gets a new one.
    assert found["file_overwrite"] is False
