"""The site layout's tags (templates/base.html): the menu and the window title."""

from typing import Any

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def main_menu(context: Any) -> SafeString | str:
    """The menu's entries, from ``portal.context_processors``."""
    navigation = context.get("nav")
    if navigation is None:
        return ""
    # A page that has just counted the user's waiting items (the home page) passes the number.
    return navigation.render(context.get("nav_waiting"))


@register.filter(is_safe=True)
def with_site_name(title: str) -> str:
    """The page's title, then the site's: "R-2026-001 · Research Governance" (the site's alone on
    a page without one). Used as ``{% filter with_site_name %}{% block title %}…``, since a
    template cannot otherwise tell whether a page filled its title block."""
    site = gettext("Research Governance")
    title = title.strip()
    return f"{title} · {site}" if title else site
