"""A fixed-window rate limit on the public refusal form, kept in Django's cache (Redis in
production, so every server process counts together)."""

import hashlib

from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 3600
# Per client address and notice, and per client address across all notices.
PER_NOTICE = 5
PER_CLIENT = 20


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a client can write any X-Forwarded-For it likes. Behind a proxy the proxy
    # sets REMOTE_ADDR (e.g. gunicorn --forwarded-allow-ips), not this code.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hit(key: str, limit: int) -> bool:
    cache.add(key, 0, WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        count = 1
    return count <= limit


def refusal_allowed(request: HttpRequest, reference: str) -> bool:
    """Count one attempt to send the form; False once the client has used up either allowance."""
    client = hashlib.sha256(client_address(request).encode()).hexdigest()[:32]
    per_notice = _hit(f"notices:refusal:{client}:{reference}", PER_NOTICE)
    per_client = _hit(f"notices:refusal:{client}", PER_CLIENT)
    return per_notice and per_client
