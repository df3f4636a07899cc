"""SEC-03: passwords of several kinds of characters."""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

# The four kinds. "Other" is anything else: punctuation, spaces, symbols, and letters without
# case (kana, kanji).
CLASSES = {
    "lower": str.islower,
    "upper": str.isupper,
    "digit": str.isdigit,
    "other": lambda c: not (c.islower() or c.isupper() or c.isdigit()),
}


def character_classes(password: str) -> set[str]:
    return {name for name, test in CLASSES.items() if any(test(c) for c in password)}


class CharacterClassesValidator:
    """SEC-03: at least ``min_classes`` of four kinds of character: lower-case letters,
    upper-case letters, digits, other characters. "demo-password-2026" has three."""

    def __init__(self, min_classes: int = 3) -> None:
        self.min_classes = min_classes

    def validate(self, password: str, user: object = None) -> None:
        if len(character_classes(password)) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_few_character_kinds")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must contain at least %(count)d of these kinds of character: lower-case "
            "letters, upper-case letters, digits, other characters (such as - or !).",
            "Your password must contain at least %(count)d of these kinds of character: lower-case "
            "letters, upper-case letters, digits, other characters (such as - or !).",
            self.min_classes,
        ) % {"count": self.min_classes}
