"""The home page ("Waiting for you") and the rulebook page."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from research_governance.accounts.http import AuthenticatedHttpRequest
from research_governance.accounts.models import Role
from research_governance.accounts.selectors import user_has_role
from research_governance.rules import load_rulebook

from . import selectors

PAGE_SIZE = 25


def root(request: HttpRequest) -> HttpResponse:
    """The site's address: the home for those signed in, the sign-in page for everyone else."""
    if request.user.is_authenticated:
        return redirect("portal:home")
    return redirect("account_login")


@login_required
@require_GET
def home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Waiting for you: every item where the user is the next actor, grouped by the role they
    act in (one list, 25 to a page, a group's heading repeated on the page it continues on),
    then what the user waits for from others. Read from the inbox, which every hand-off keeps
    up to date: a few indexed queries whatever the volume (bench: ``home_*``)."""
    user = request.user
    today = timezone.localdate()
    number = request.GET.get("page")
    wanted = int(number) if number and number.isdigit() and 0 < int(number) < 10_000 else 1
    items = selectors.WaitingForYou(user, expected=wanted * PAGE_SIZE)
    page = Paginator(items, PAGE_SIZE).get_page(number)
    previous = items[page.start_index() - 2] if page.start_index() > 1 else None
    return render(
        request,
        "portal/home.html",
        {
            "page": page,
            "groups": selectors.home_groups(list(page.object_list), today, previous=previous),
            "total": len(items),
            "others": [selectors.as_row(item, today) for item in selectors.waiting_for_others(user)],
            "today": today,
            # The badge in the menu shows the number just counted.
            "nav_waiting": len(items),
        },
    )


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
