"""The menu of every page (templates/base.html): which entries the signed-in user sees.

Kept here in one place, above every app it links, rather than gathered from the apps: the menu
in base.html names each entry anyway, so this reads as the list of who sees which entry."""

from functools import cache

from django.http import HttpRequest

from research_governance.accounts.models import Role
from research_governance.accounts.selectors import is_secretariat_anywhere, user_has_role
from research_governance.notifications.selectors import unread_count
from research_governance.oversight.permissions import may_oversee

from .selectors import waiting_count


def navigation(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_secretariat": is_secretariat_anywhere(user),
        "nav_committees": user_has_role(
            user, Role.SECRETARIAT, Role.ADMINISTRATOR, Role.AUDITOR, Role.COMMITTEE_MEMBER, Role.CHAIR
        ),
        "nav_rulebook": user.is_staff or user_has_role(user, Role.SECRETARIAT, Role.ADMINISTRATOR, Role.AUDITOR),
        "nav_reviewer": user_has_role(user, Role.COMMITTEE_MEMBER, Role.CHAIR),
        "nav_chair": user_has_role(user, Role.CHAIR),
        "nav_head": user_has_role(user, Role.HEAD),
        "nav_audit": user_has_role(user, Role.AUDITOR, Role.ADMINISTRATOR),
        "nav_oversight": may_oversee(user),
        "nav_data_access_committee": user_has_role(user, Role.DATA_ACCESS_COMMITTEE),
        "nav_unread": unread_count(user),
        # Counted only when a page shows it (a callable, called once by the template); the home
        # page passes the number it has just counted instead.
        "nav_waiting": cache(lambda: waiting_count(user)),
    }
