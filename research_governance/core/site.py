"""The site's public address (``SITE_URL``): what emails link to and letters print.

Pages use relative links; anything read away from the site (an email, a printed letter, its QR
code) needs the absolute address, so outside DEBUG ``SITE_URL`` is required and a system check
says so (``check_site_url``, registered in ``CoreConfig.ready``).
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

HINT = (
    "Set SITE_URL to the public address people open the site at, e.g. SITE_URL=https://ethics.example.org "
    "Emails link to it and letters print it. With DEBUG=1 it defaults to http://127.0.0.1:8000."
)


def is_absolute_http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and not parts.query and not parts.fragment


def site_url() -> str:
    """``SITE_URL`` without its trailing slash. Raises ImproperlyConfigured when it is not an
    absolute http(s) address, rather than sending an email or printing a letter with a dead link."""
    value = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if not is_absolute_http_url(value):
        raise ImproperlyConfigured(f"SITE_URL is {value!r}, not an absolute http(s) address. {HINT}")
    return value


def absolute_url(path: str) -> str:
    """The address of a path on this site (``/letters/verify/abc/``), for emails and letters."""
    if not path.startswith("/"):
        raise ValueError(f"Not a path on this site: {path!r}")
    return f"{site_url()}{path}"


def check_site_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    value = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    if is_absolute_http_url(value):
        return []
    if settings.DEBUG and not value:
        return []
    problem = "SITE_URL is not set." if not value else f"SITE_URL {value!r} is not an absolute http(s) address."
    return [checks.Error(problem, hint=HINT, id="core.E002")]
