"""Text in the reader's language."""

from django.utils.translation import get_language


def localized(ja: str, en: str) -> str:
    """The Japanese or the English text for the active language, whichever exists."""
    if (get_language() or "ja").startswith("ja"):
        return ja or en
    return en or ja
