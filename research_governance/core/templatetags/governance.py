from django import template
from django.http import HttpRequest
from django.utils.html import format_html

from research_governance.core.i18n import localized

register = template.Library()

STATUS_STYLES = {
    "draft": "text-bg-secondary",
    "submitted": "text-bg-primary",
    "in_review": "text-bg-info",
    "accepted": "text-bg-info",
    "withdrawn": "text-bg-light border",
}


@register.simple_tag
def status_badge(value: str, label: str) -> str:
    # A simple tag, not an inclusion template: list pages render one per row.
    css = STATUS_STYLES.get(value, "text-bg-secondary")
    return format_html('<span class="badge rounded-pill {}">{}</span>', css, label)


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with some parameters changed (for filters and pagination)."""
    request: HttpRequest = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def query_with_param(context: template.Context, param: str, value: object) -> str:
    """``query_with`` for a parameter named at run time: the page number of one of a page's
    several paginated sections (``partials/pagination.html`` with ``page_param``)."""
    return query_with(context, **{param: value})


@register.simple_tag
def localized_name(name_ja: str, name_latin: str) -> str:
    """A person's name in the active language's script, from a frozen snapshot."""
    return localized(name_ja, name_latin)
