"""One settings module, driven by environment variables.

With nothing set: SQLite in the project folder, Celery tasks inline, mail to the
console. PostgreSQL and Redis are used when DATABASE_URL / REDIS_URL are set.
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "")
    if value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def envstr(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    if not value.strip():
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = envbool("DEBUG", False)

SECRET_KEY = envstr("SECRET_KEY")
# Old keys still accepted for signatures, so the key can be rotated without signing everybody out.
SECRET_KEY_FALLBACKS = envlist("SECRET_KEY_FALLBACKS", [])
if not SECRET_KEY:
    # Management commands work with nothing set; serving does not (wsgi.py refuses without a key
    # unless DEBUG), because a per-process key breaks sessions across restarts and workers.
    SECRET_KEY = "development-only-secret-key-never-use-in-production"  # noqa: S105
SECRET_KEY_FROM_ENVIRONMENT = bool(envstr("SECRET_KEY"))

# The public address (e.g. https://ethics.example.org): emails link to it and letters print it.
# Required outside DEBUG (the system check core.E002 says so); see core/site.py.
SITE_URL = envstr("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "").rstrip("/")

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
    "django_htmx",
    "csp",
    "research_governance.core",
    "research_governance.accounts",
    "research_governance.audit",
    "research_governance.committees",
    "research_governance.protocols",
    "research_governance.reviews",
    "research_governance.notifications",
    "research_governance.reminders",
    "research_governance.letters",
    "research_governance.agreements",
    "research_governance.notices",
    "research_governance.oversight",
    "research_governance.portal",
    # Demo data only (`seed_demo`); last, like its place at the top of the layers.
    "research_governance.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # SEC-03: idle sessions end; SEC-02: privileged users set up a second factor before anything else.
    "research_governance.accounts.middleware.IdleSessionTimeoutMiddleware",
    "research_governance.accounts.middleware.MfaRequiredMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "research_governance.urls"
WSGI_APPLICATION = "research_governance.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "research_governance.portal.context_processors.navigation",
                "research_governance.portal.workflow_enums.workflow_enums",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        envstr("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=envint("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = envstr("REDIS_URL")
# The cache may live in its own Redis database, so clearing it never touches the task queue.
CACHE_URL = envstr("CACHE_URL", REDIS_URL)
if CACHE_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: inline when there is no broker, so `make run` needs nothing else running.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = envint("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = envint("CELERY_TASK_SOFT_TIME_LIMIT", 240)
# Above the longest countdown/ETA we use (retries wait at most 10 minutes), so Redis does not
# redeliver a waiting task. A broker that does not answer fails fast: queueing happens after a
# commit, in a request, and the work is re-dispatched later (see the notifications outbox).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": envint("CELERY_VISIBILITY_TIMEOUT", 6 * 3600),
    "socket_connect_timeout": 3,
    "socket_timeout": 10,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = envstr("TIME_ZONE", "Asia/Tokyo")
# The periodic jobs, in the institution's time zone. `celery beat` runs them with Redis;
# without it, cron runs `python manage.py run_periodic`, which runs each of them once.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "redispatch-pending-notifications": {
        "task": "research_governance.notifications.tasks.redispatch_pending",
        "schedule": crontab(minute="*/5"),
    },
    "send-notification-digests": {
        "task": "research_governance.notifications.tasks.send_digests",
        "schedule": crontab(hour=8, minute=0),
    },
    "scan-reminders": {
        "task": "research_governance.reminders.tasks.scan_reminders",
        "schedule": crontab(hour=5, minute=30),
    },
    # The audit trail's hash chain, checked daily; administrators are told if it is broken (SEC-05).
    "verify-audit-trail": {
        "task": "research_governance.audit.tasks.verify_audit_chain",
        "schedule": crontab(hour=3, minute=0),
    },
    # Everyone's "Waiting for you" found again, after midnight: what the date alone changes.
    "rebuild-inbox": {
        "task": "research_governance.notifications.tasks.rebuild_inbox",
        "schedule": crontab(hour=0, minute=10),
    },
    # Letters whose task was lost (the broker was down when the decision was recorded).
    "render-missing-letters": {
        "task": "research_governance.letters.tasks.render_missing_letters",
        "schedule": crontab(minute=15),
    },
}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# SEC-03: passwords hashed irreversibly (Django's PBKDF2), at least 8 characters, of several kinds
# (at least 3 of: lower-case letters, upper-case letters, digits, other characters).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {
        "NAME": "research_governance.accounts.password_validation.CharacterClassesValidator",
        "OPTIONS": {"min_classes": 3},
    },
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"

# django-allauth: email is the login; accounts are provisioned by the institution.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_ADAPTER = "research_governance.accounts.adapters.AccountAdapter"
ACCOUNT_FORMS = {"login": "research_governance.accounts.forms.LoginForm"}
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_PRESERVE_USERNAME_CASING = False
# SEC-03: guessing is slowed down. Failed sign-ins (passwords, and second-factor codes, which
# allauth counts under the same name): at most 5 per account in 5 minutes and 10 a minute per
# address; then the form refuses until the window passes.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# Setting up or removing a second factor asks for the password again after this many seconds.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300

# SEC-02: two-factor authentication (allauth.mfa). An authenticator app (TOTP) with single-use
# recovery codes; security keys and passkeys (WebAuthn) as a second factor where the browser
# has them. Passkeys do not replace the password (no passwordless sign-in).
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = False
# Browsers allow WebAuthn on http://localhost only; the check of the origin is relaxed for DEBUG.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# The name an authenticator app shows next to the code.
MFA_TOTP_ISSUER = envstr("MFA_TOTP_ISSUER", "Research Governance")
# One 30-second step either side is accepted, for phones whose clock is a little off; a code
# is accepted once only.
MFA_TOTP_TOLERANCE = 1
# SEC-02: who must sign in with a second factor. Anyone holding one of these roles today, anyone
# with a current committee seat (members, chairs, external members and the secretariat seat:
# they read protocols under review), and staff of the Django admin. Until they have set up an
# authenticator app or a security key, research_governance.accounts.middleware sends them to
# set one up and lets them reach nothing else.
MFA_REQUIRED_ROLES = [
    "secretariat",
    "committee_member",
    "chair",
    "head",
    "data_access_committee",
    "auditor",
    "administrator",
]
# SEC-03: a session unused for this many minutes ends; the next request goes to the sign-in page.
SESSION_IDLE_TIMEOUT = envint("SESSION_IDLE_TIMEOUT", 30)

# django-guardian: no anonymous user row; anonymous visitors have no object permissions.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_404 = True

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = envstr("TIME_ZONE", "Asia/Tokyo")

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(envstr("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
# Uploaded documents and letters: on the local disk (MEDIA_ROOT), or, when AWS_STORAGE_BUCKET_NAME
# is set, in an S3-compatible bucket through django-storages, so several hosts can share them.
# Private either way: no ACL is sent (objects take the bucket's default, private; keep the bucket's
# public access blocked), URLs are signed and expire after 5 minutes, and downloads go through
# Django's permission-checked views anyway. Files are never overwritten in place.
AWS_STORAGE_BUCKET_NAME = envstr("AWS_STORAGE_BUCKET_NAME")
if AWS_STORAGE_BUCKET_NAME:
    default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            # Empty: Amazon S3 itself. Set for MinIO, Ceph, Wasabi, Sakura, etc.
            "endpoint_url": envstr("AWS_S3_ENDPOINT_URL") or None,
            "region_name": envstr("AWS_S3_REGION_NAME") or None,
            # Empty: boto3's own chain (instance role, ~/.aws, AWS_* variables).
            "access_key": envstr("AWS_ACCESS_KEY_ID") or None,
            "secret_key": envstr("AWS_SECRET_ACCESS_KEY") or None,
            # "path" for most self-hosted S3-compatible services; empty lets boto3 choose.
            "addressing_style": envstr("AWS_S3_ADDRESSING_STYLE") or None,
            # A key prefix, to share one bucket between installations.
            "location": envstr("AWS_LOCATION"),
            # Signature V4 for signed URLs: required by newer AWS regions and most S3-compatible stores.
            "signature_version": "s3v4",
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": 300,
            "custom_domain": None,
            "file_overwrite": False,
        },
    }
else:
    default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Uploads (SEC-06): checked by content, size and name before anyone opens them.
UPLOAD_MAX_BYTES = envint("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_HOST = envstr("EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("EMAIL_PORT", 587)
EMAIL_HOST_USER = envstr("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = envstr("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = envbool("EMAIL_USE_TLS", True)
EMAIL_USE_SSL = envbool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = envint("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = envstr("DEFAULT_FROM_EMAIL", "research-governance@localhost")
SERVER_EMAIL = envstr("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
ADMINS = [("Administrators", address) for address in envlist("ADMINS", [])]

# Security headers. A strict CSP: our own scripts and styles only, nothing inline.
SECURE_CONTENT_TYPE_NOSNIFF = True
# Behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients).
if envbool("TRUST_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", False)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 0)
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache and written through to the database: one query less per request.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# Secure cookies unless DEBUG; set SECURE_COOKIES=0 only behind plain HTTP on a private network.
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
}

# Institution defaults (JP-R-01: progress report interval, institution default 12 months).
PROGRESS_REPORT_INTERVAL_MONTHS = envint("PROGRESS_REPORT_INTERVAL_MONTHS", 12)
# An approval's period when the decision does not say (months from the permission, or the US decision).
APPROVAL_VALIDITY_MONTHS = envint("APPROVAL_VALIDITY_MONTHS", 12)
