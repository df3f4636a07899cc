"""The access log (SEC-04): sign-ins, sign-outs, failed sign-ins, session lengths, document
downloads and views of a protocol by people outside its team.

Sign-ins and sign-outs come from Django's auth signals (allauth signs people in and out through
them), connected in AuditConfig.ready. Views call ``document_downloaded`` and ``protocol_viewed``,
one line each. Rows are append-only (model guard; a trigger on PostgreSQL).
"""

import hashlib
import ipaddress
import time
from datetime import timedelta
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from research_governance.core.hooks import Hook

from .models import AccessKind, AccessLogEntry

# Who is on a protocol's team is the protocols app's to say (it sits above audit): it registers
# ``receiver(*, user, protocol) -> bool`` here in its AppConfig.ready().
on_protocol_team = Hook("audit.on_protocol_team", provided_by="protocols")

# Stored in the session at sign-in, so the sign-out can tell how long the session lasted.
SIGNED_IN_AT = "_access_signed_in_at"
USER_AGENT_LENGTH = AccessLogEntry._meta.get_field("user_agent").max_length or 255


def _ip(request: HttpRequest | None) -> str | None:
    address = (request.META.get("REMOTE_ADDR") or "") if request is not None else ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _session_hash(request: HttpRequest | None) -> str:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    return hashlib.sha256(key.encode()).hexdigest() if key else ""


def record_access(
    request: HttpRequest | None,
    kind: str,
    *,
    user: Any = None,
    identifier: str = "",
    target: models.Model | None = None,
    session_duration: timedelta | None = None,
) -> AccessLogEntry:
    """Append one access log entry."""
    if user is not None and not getattr(user, "is_authenticated", False):
        user = None
    user_agent = (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:USER_AGENT_LENGTH]
    return AccessLogEntry.objects.create(
        occurred_at=timezone.now(),
        user=user,
        identifier=(identifier or getattr(user, "email", "") or "")[:254],
        kind=kind,
        session_key_hash=_session_hash(request),
        ip_address=_ip(request),
        user_agent=user_agent,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        session_duration=session_duration,
    )


def signed_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = time.time()
    record_access(request, AccessKind.SIGN_IN, user=user)


def signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    # Sent before the session is flushed, so the sign-in time is still there. A session that ended
    # by timeout sends nothing: its length is unknown and its sign-in stands alone in the log.
    session = getattr(request, "session", None)
    started = session.get(SIGNED_IN_AT) if session is not None else None
    duration = timedelta(seconds=round(time.time() - started)) if isinstance(started, int | float) else None
    record_access(request, AccessKind.SIGN_OUT, user=user, session_duration=duration)


def sign_in_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    # Django has already masked the password in ``credentials``; only the identifier is kept.
    identifier = next((str(credentials[k]) for k in ("email", "login", "username") if credentials.get(k)), "")
    record_access(request, AccessKind.SIGN_IN_FAILED, identifier=identifier)


def document_downloaded(request: HttpRequest, document_version: models.Model) -> None:
    """Every download of a document, by anyone (SEC-04: the records operated on)."""
    record_access(request, AccessKind.DOCUMENT_DOWNLOAD, user=request.user, target=document_version)


def protocol_viewed(request: HttpRequest, protocol: models.Model) -> None:
    """A view of a protocol's pages by someone not on its team (SEC-04); the team's own views are not logged."""
    if not any(on_protocol_team(user=request.user, protocol=protocol)):
        record_access(request, AccessKind.PROTOCOL_VIEW, user=request.user, target=protocol)
