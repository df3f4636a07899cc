"""Reasons: one sentence in English and Japanese, naming the rule it applies."""

from collections.abc import Iterable
from typing import TypedDict


class Reason(TypedDict):
    rule_id: str
    en: str
    ja: str


# Appended to every reason that rests on an UNVERIFIED rule (REGULATORY.md: show the
# source status to users), so the status travels with the text wherever it is shown.
UNVERIFIED_EN = " [UNVERIFIED rule: the committee decides.]"
UNVERIFIED_JA = "【未検証のルール：委員会が判断します】"


def reason(rule_id: str, en: str, ja: str) -> Reason:
    return {"rule_id": rule_id, "en": en, "ja": ja}


def unverified_reason(rule_id: str, en: str, ja: str) -> Reason:
    return reason(rule_id, en + UNVERIFIED_EN, ja + UNVERIFIED_JA)


def rule_ids(reasons: Iterable[Reason], *also: str) -> list[str]:
    """The sorted, unique rule IDs a verdict part used."""
    return sorted({r["rule_id"] for r in reasons} | set(also))
