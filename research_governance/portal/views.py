"""The home page and the rulebook page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from research_governance.accounts.models import Role
from research_governance.accounts.selectors import is_secretariat_anywhere, user_has_role
from research_governance.rules import load_rulebook


def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("reviews:secretariat_queue" if is_secretariat_anywhere(request.user) else "protocols:dashboard")
    return redirect("account_login")


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
        "portal/rulebook.html",
        {
            "book": book,
            "rules": rules,
            "designated": sorted(book.designated_countries),
            "adequacy": sorted(book.adequacy_countries),
        },
    )
