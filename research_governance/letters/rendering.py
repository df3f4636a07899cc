"""HTML to PDF with WeasyPrint, safely.

The letter's HTML comes from our templates with user text autoescaped, but a reason or a condition
could still name a URL, and a template mistake could too. ``LetterURLFetcher`` is the only way
WeasyPrint reaches anything: it serves ``data:`` URIs and our own static files (``static:`` URLs,
found by the staticfiles finders or in STATIC_ROOT) and refuses everything else, file:// and
http(s):// included, without touching the network or the file system. Fonts come from fontconfig
(the IPAex TrueType fonts named first in the stylesheet), not from URLs.

A render has no network to wait on; the time it may take is bounded by the Celery task's soft and
hard time limits (see tasks.render_letter)."""

import base64
import binascii
import logging
import mimetypes
from pathlib import Path, PurePosixPath
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.contrib.staticfiles import finders
from django.utils._os import safe_join

from .content import STATIC_SCHEME

# WeasyPrint logs each step of every render (and of its own import) at INFO; only its warnings
# matter here. Set before the import. This module is imported only where letters are rendered
# (the worker, render_sample_letter), so web processes do not pay for importing WeasyPrint.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML, URLFetcher  # noqa: E402
from weasyprint.urls import URLFetcherResponse  # noqa: E402

logger = logging.getLogger(__name__)

# Our own assets are small; anything bigger is a mistake, not a letterhead.
MAX_RESOURCE_BYTES = 2 * 1024 * 1024


class RefusedURL(ValueError):
    """The letter asked for something other than a data: URI or one of our static files."""


def _static_file(path: str) -> Path:
    relative = PurePosixPath(path)
    if not path or relative.is_absolute() or ".." in relative.parts or "\\" in path or "\x00" in path:
        raise RefusedURL(f"not one of our static files: {path!r}")
    found = finders.find(str(relative))
    if found:
        return Path(found)
    if settings.STATIC_ROOT:
        candidate = Path(safe_join(str(settings.STATIC_ROOT), str(relative)))
        if candidate.is_file():
            return candidate
    raise RefusedURL(f"no such static file: {path!r}")


def _data_uri(url: str) -> tuple[bytes, str]:
    header, separator, payload = url[len("data:") :].partition(",")
    if not separator:
        raise RefusedURL("malformed data: URI")
    parameters = header.split(";")
    mime_type = parameters[0] or "text/plain"
    try:
        body = base64.b64decode(payload, validate=False) if "base64" in parameters[1:] else unquote_to_bytes(payload)
    except (binascii.Error, ValueError) as error:
        raise RefusedURL("malformed data: URI") from error
    return body, mime_type


class LetterURLFetcher(URLFetcher):
    """Serves ``data:`` URIs and our static files; refuses every other URL (WeasyPrint then
    leaves the resource out and logs a warning)."""

    def __init__(self) -> None:
        super().__init__(timeout=1, allowed_protocols=("data", "static"), allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            if url.startswith("data:"):
                body, mime_type = _data_uri(url)
            elif url.startswith(STATIC_SCHEME):
                path = _static_file(url[len(STATIC_SCHEME) :].split("?")[0].split("#")[0])
                if path.stat().st_size > MAX_RESOURCE_BYTES:
                    raise RefusedURL(f"static file too large: {url!r}")
                body = path.read_bytes()
                mime_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            else:
                raise RefusedURL(f"refused: {url[:200]!r}")
        except RefusedURL:
            self.refused.append(url[:200])
            logger.warning("A letter asked for a resource it may not load: %s", url[:200])
            raise
        if len(body) > MAX_RESOURCE_BYTES:
            self.refused.append(url[:200])
            raise RefusedURL("resource too large")
        return URLFetcherResponse(url, body, headers={"Content-Type": mime_type})


def html_to_pdf(html: str, *, fetcher: LetterURLFetcher | None = None) -> bytes:
    """The PDF of ``html``; no base URL, so relative references resolve to nothing."""
    document = HTML(string=html, base_url=None, url_fetcher=fetcher or LetterURLFetcher())
    pdf = document.write_pdf()
    assert pdf is not None
    return pdf
