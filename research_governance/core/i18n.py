"""Text in the reader's language."""

from typing import Any, cast

from django.utils.functional import Promise, lazy
from django.utils.translation import get_language


def localized(ja: str, en: str) -> str:
    """The Japanese or the English text for the active language, whichever exists."""
    if (get_language() or "ja").startswith("ja"):
        return ja or en
    return en or ja


def _format(text: Any, params: dict[str, Any]) -> str:
    return str(text) % params if params else str(text)


_format_lazy = lazy(_format, str)


def said_later(text: Any, **params: Any) -> Promise:
    """``text % params``, put into words only when read, in the reader's language then.

    ``gettext_lazy("%(n)s of %(total)s") % {...}`` is translated at once, in the language active
    when it runs; text kept for many readers (``notifications.inbox``) must wait for each one.
    ``text`` may also be any object whose ``str()`` depends on the language (a model's localized
    name)."""
    return cast(Promise, _format_lazy(text, params))
