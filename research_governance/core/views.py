import redis
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from research_governance.accounts.models import Role
from research_governance.accounts.selectors import is_secretariat_anywhere, user_has_role
from research_governance.rules import load_rulebook


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("reviews:secretariat_queue" if is_secretariat_anywhere(request.user) else "protocols:dashboard")
    return redirect("account_login")


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        return False


def _broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
        return bool(client.ping())
    except Exception:
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for load balancers: the database, and the broker once Redis is configured."""
    checks = {"database": "ok" if _database_ok() else "unavailable"}
    if settings.REDIS_URL:
        checks["broker"] = "ok" if _broker_ok() else "unavailable"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse({"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", status=404)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    return render(request, "errors/500.html", status=500)


@login_required
@require_GET
def rulebook(request: HttpRequest) -> HttpResponse:
    """The rulebook in force, read-only: every rule with its status and source."""
    if not (request.user.is_staff or user_has_role(request.user, Role.ADMINISTRATOR, Role.SECRETARIAT, Role.AUDITOR)):
        raise Http404
    book = load_rulebook()
    japanese = (get_language() or "ja").startswith("ja")
    rules = [
        {
            "id": rule.id,
            "rule_set": rule.rule_set,
            "title": rule.title_ja if japanese else rule.title_en,
            "text": rule.text_ja if japanese else rule.text_en,
            "source": rule.source,
            "verified": rule.verified,
            "configurable": rule.configurable,
            "unverified_parts": rule.unverified_parts,
        }
        for rule in book.rules
    ]
    return render(
        request,
        "core/rulebook.html",
        {
            "book": book,
            "rules": rules,
            "designated": sorted(book.designated_countries),
            "adequacy": sorted(book.adequacy_countries),
        },
    )
