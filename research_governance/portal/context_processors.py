"""The menu of every page (templates/base.html), declared once: its entries, who sees each, and
which one is the page being shown.

Kept here in one place, above every app it links, rather than gathered from the apps: it reads as
the list of who sees which entry. The menu is put into HTML here, not by the template: a dozen
entries of role checks and current-page tests cost the layout of every signed-in page about as
much as a whole small page did (bench: ``signed_in_layout``). Nothing is asked of the database
until a page renders the menu, and then only the user's roles (read once per request) and the
count of what waits for them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from research_governance.accounts.models import Role, User
from research_governance.accounts.selectors import SECRETARIAT_ROLES, is_secretariat_anywhere, user_has_role, user_roles
from research_governance.agreements.permissions import is_officer_anywhere
from research_governance.notifications.selectors import unread_count
from research_governance.oversight.permissions import OVERSIGHT_ROLES

from .selectors import waiting_count

COMMITTEE_ROLES = (Role.COMMITTEE_MEMBER, Role.CHAIR)


@dataclass(frozen=True)
class Entry:
    url_name: str
    label: Promise
    # Shown to those who hold one of these roles anywhere; to everyone signed in if none are named.
    roles: tuple[str, ...] = ()
    # Shown to staff users (the Django admin's) whatever their roles; ``staff_only``: to them alone.
    staff: bool = False
    staff_only: bool = False
    # The entry is the current page on its own page, or, when no entry is, on any page of ``app``.
    app: str = ""
    # Shows the number of items waiting for the user.
    waiting_badge: bool = False
    # The page's own rule, where the roles alone do not say who may open it; asked only of those
    # the roles let through (a query for them alone).
    may_open: Callable[[Any], bool] | None = None

    def shown_to(self, user: Any, roles: frozenset[str]) -> bool:
        if self.staff_only:
            return bool(user.is_staff)
        if self.roles and not (roles.intersection(self.roles) or (self.staff and user.is_staff)):
            return False
        return self.may_open is None or self.may_open(user)


MENU = (
    Entry("portal:home", _("Waiting for you"), waiting_badge=True),
    Entry("protocols:dashboard", _("My protocols")),
    Entry("agreements:request_list", _("Data sharing"), app="agreements"),
    # The committee's queue is its officers' (the chair and the secretary), not every member's.
    Entry(
        "agreements:dac_queue",
        _("Data access committee"),
        roles=(Role.DATA_ACCESS_COMMITTEE,),
        may_open=is_officer_anywhere,
    ),
    Entry("reviews:secretariat_queue", _("Secretariat"), roles=SECRETARIAT_ROLES, app="reviews"),
    Entry("reviews:my_assignments", _("My reviews"), roles=COMMITTEE_ROLES),
    Entry("reviews:chair_queue", _("Chair"), roles=(Role.CHAIR,)),
    Entry("reviews:head_queue", _("Awaiting my permission"), roles=(Role.HEAD,)),
    Entry(
        "committees:list",
        _("Committees"),
        roles=(*SECRETARIAT_ROLES, Role.AUDITOR, *COMMITTEE_ROLES),
        app="committees",
    ),
    Entry("oversight:index", _("Oversight"), roles=OVERSIGHT_ROLES, app="oversight"),
    Entry("rulebook", _("Rulebook"), roles=(*SECRETARIAT_ROLES, Role.AUDITOR), staff=True),
    Entry("audit:events", _("Audit trail"), roles=(Role.AUDITOR, Role.ADMINISTRATOR), app="audit"),
    Entry("admin:index", _("Administration"), staff_only=True),
)


@cache
def _reversed(url_name: str, script_prefix: str) -> str:
    return reverse(url_name)


def forget_addresses(*, setting: str, **_: Any) -> None:
    """The addresses change only with the URL configuration (a test may swap it)."""
    if setting == "ROOT_URLCONF":
        _reversed.cache_clear()


def address(url_name: str) -> str:
    """The address of a page that takes no arguments (the layout's links), found once per process."""
    return _reversed(url_name, get_script_prefix())


def current_entry(entries: list[Entry], view_name: str, app: str) -> Entry | None:
    """The one entry marked as the page shown: the entry for this very page, else for its app."""
    for entry in entries:
        if entry.url_name == view_name:
            return entry
    for entry in entries:
        if app and entry.app == app:
            return entry
    return None


class Navigation:
    """What the menu shows the signed-in user, found when a page first asks."""

    def __init__(self, request: HttpRequest, user: User) -> None:
        self.request = request
        self.user = user

    # For pages that point back to the queue the user came from (the protocol page's breadcrumb).
    @property
    def secretariat(self) -> bool:
        return is_secretariat_anywhere(self.user)

    @property
    def head(self) -> bool:
        return user_has_role(self.user, Role.HEAD)

    @property
    def chair(self) -> bool:
        return user_has_role(self.user, Role.CHAIR)

    @cached_property
    def unread(self) -> int:
        return unread_count(self.user)

    def entries(self) -> list[Entry]:
        roles = user_roles(self.user)
        return [entry for entry in MENU if entry.shown_to(self.user, roles)]

    def render(self, waiting: int | None) -> SafeString:
        """The menu's list: its entries, the current one marked, the waiting count on "Waiting for you"."""
        entries = self.entries()
        match = self.request.resolver_match
        current = current_entry(entries, match.view_name, match.app_name) if match else None
        rows = []
        for entry in entries:
            here = entry is current
            badge: SafeString | str = ""
            if entry.waiting_badge:
                count = waiting_count(self.user) if waiting is None else waiting
                if count:
                    badge = format_html(
                        ' <span class="badge rounded-pill text-bg-warning" data-waiting-count="{0}">'
                        '<span aria-hidden="true">{0}</span><span class="visually-hidden">{1}</span></span>',
                        count,
                        ngettext("%(n)d item waiting", "%(n)d items waiting", count) % {"n": count},
                    )
            rows.append(
                (
                    " active" if here else "",
                    mark_safe(' aria-current="page"') if here else "",
                    address(entry.url_name),
                    entry.label,
                    badge,
                )
            )
        return format_html_join("\n", '<li class="nav-item"><a class="nav-link{}"{} href="{}">{}{}</a></li>', rows)


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if not isinstance(user, User) or not user.is_authenticated:
        return {}
    return {"nav": Navigation(request, user)}
