"""The site layout's tags (templates/base.html): the menu and the window title."""

from functools import cache
from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from research_governance.portal.context_processors import address as page_address

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


STYLESHEETS = ("vendor/bootstrap/bootstrap.min.css", "vendor/bootstrap-icons/bootstrap-icons.min.css", "css/app.css")
SCRIPTS = ("vendor/htmx/htmx.min.js", "vendor/bootstrap/bootstrap.bundle.min.js", "js/app.js")


@register.simple_tag
@cache
def layout_assets() -> SafeString:
    """The icon, style sheets and scripts of every page; their hashed names are found once per process."""
    return format_html(
        '<link rel="icon" href="{}" type="image/svg+xml">\n{}\n{}',
        static("favicon.svg"),
        format_html_join("\n", '<link rel="stylesheet" href="{}">', ((static(name),) for name in STYLESHEETS)),
        format_html_join("\n", '<script src="{}" defer></script>', ((static(name),) for name in SCRIPTS)),
    )


def forget_static_files(*, setting: str, **_: Any) -> None:
    """The hashed names change only with the storage (the browser tests serve plain names)."""
    if setting in {"STORAGES", "STATIC_URL"}:
        layout_assets.cache_clear()


@register.simple_tag
def address(url_name: str) -> str:
    """``{% url %}`` for the layout's links, which take no arguments: found once per process."""
    return page_address(url_name)
