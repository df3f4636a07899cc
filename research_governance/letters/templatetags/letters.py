from typing import Any

from django import template

from ..content import static_url
from ..models import Letter

register = template.Library()


@register.simple_tag
def letter_static(path: str) -> str:
    """One of our static files, for a letter template: served to WeasyPrint by LetterURLFetcher
    from the staticfiles finders, never fetched over HTTP."""
    return static_url(path)


@register.simple_tag
def decision_letters(decision: Any) -> list[Letter]:
    """The letters of a decision for its panel on the protocol page, newest version of each first.
    The panel is shown only to those who may view the protocol; the download checks again."""
    if decision is None:
        return []
    letters = Letter.objects.filter(decision=decision).select_related("replaced_by")
    return list(letters.order_by("kind", "language", "-version"))
