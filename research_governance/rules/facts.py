"""Strict parsing of the engine's input into typed facts.

Input arrives as decoded JSON (from the CLI or from the Django integration). Anything
unexpected is refused with InvalidInput naming the field: a guessed default would turn
a typo into a wrong verdict about consent or quorum."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from .errors import InvalidInput
from .vocabulary import Acquisition, Category, Deidentification, Invasiveness, RuleSet, Sex

E = TypeVar("E", bound=StrEnum)

_MISSING = object()
# ISO 3166-1 alpha-2 shape only; whether the code is assigned is not checked (the country
# lists decide what a code means, and an unknown code simply matches none of them).
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class ForeignRecipient:
    country: str
    equivalent_measures: bool


@dataclass(frozen=True)
class StudyFacts:
    rule_set: RuleSet
    acquisition: Acquisition
    uses_samples: bool
    invasiveness: Invasiveness
    interventional: bool
    special_care_personal_info: bool
    deidentification: Deidentification
    personally_referable: bool
    consent_obtainable: bool
    foreign_recipients: tuple[ForeignRecipient, ...]
    multi_site_already_approved: bool
    minor_change: bool
    data_origin_eea: bool


@dataclass(frozen=True)
class Member:
    id: str
    category: Category | None
    scientist: bool | None
    external: bool
    sex: Sex
    present: bool | None
    conflict: bool


@dataclass(frozen=True)
class CommitteeFacts:
    rule_set: RuleSet
    members: tuple[Member, ...]

    @property
    def attendance_given(self) -> bool:
        # Quorum is checked only when the caller says who is present (any member has "present").
        return any(m.present is not None for m in self.members)


STUDY_KEYS = frozenset(
    {
        "rule_set",
        "acquisition",
        "uses_samples",
        "invasiveness",
        "interventional",
        "special_care_personal_info",
        "deidentification",
        "personally_referable",
        "consent_obtainable",
        "foreign_recipients",
        "multi_site_already_approved",
        "minor_change",
        "data_origin_eea",
    }
)
RECIPIENT_KEYS = frozenset({"country", "equivalent_measures"})
COMMITTEE_KEYS = frozenset({"rule_set", "members"})
MEMBER_KEYS = frozenset({"id", "category", "scientist", "external", "sex", "present", "conflict"})


def parse_study(data: object) -> StudyFacts:
    obj = _object(data, "input")
    _reject_unknown_keys(obj, STUDY_KEYS, "")
    return StudyFacts(
        rule_set=_enum(obj, "rule_set", RuleSet, "", default=RuleSet.JP),
        acquisition=_enum(obj, "acquisition", Acquisition, ""),
        uses_samples=_bool(obj, "uses_samples", ""),
        invasiveness=_enum(obj, "invasiveness", Invasiveness, ""),
        interventional=_bool(obj, "interventional", ""),
        special_care_personal_info=_bool(obj, "special_care_personal_info", ""),
        deidentification=_enum(obj, "deidentification", Deidentification, ""),
        personally_referable=_bool(obj, "personally_referable", "", default=False),
        consent_obtainable=_bool(obj, "consent_obtainable", "", default=True),
        foreign_recipients=_recipients(obj),
        multi_site_already_approved=_bool(obj, "multi_site_already_approved", "", default=False),
        minor_change=_bool(obj, "minor_change", "", default=False),
        data_origin_eea=_bool(obj, "data_origin_eea", "", default=False),
    )


def parse_committee(data: object) -> CommitteeFacts:
    obj = _object(data, "input")
    _reject_unknown_keys(obj, COMMITTEE_KEYS, "")
    rule_set = _enum(obj, "rule_set", RuleSet, "", default=RuleSet.JP)
    items = _array(obj, "members", "")
    members = tuple(_member(item, f"members[{i}]", rule_set) for i, item in enumerate(items))
    seen: set[str] = set()
    for i, member in enumerate(members):
        # Duplicate ids would make counted_member_ids ambiguous.
        if member.id in seen:
            raise InvalidInput(f"members[{i}].id", f"duplicate member id {member.id!r}")
        seen.add(member.id)
    return CommitteeFacts(rule_set=rule_set, members=members)


def _recipients(obj: Mapping[str, object]) -> tuple[ForeignRecipient, ...]:
    items = _array(obj, "foreign_recipients", "", default=())
    recipients = []
    for i, item in enumerate(items):
        where = f"foreign_recipients[{i}]"
        entry = _object(item, where)
        _reject_unknown_keys(entry, RECIPIENT_KEYS, where)
        country = _string(entry, "country", where)
        if not _COUNTRY_CODE.fullmatch(country):
            raise InvalidInput(
                _path(where, "country"), f"{_show(country)} is not an ISO 3166-1 alpha-2 code (two capital letters)"
            )
        equivalent = _bool(entry, "equivalent_measures", where, default=False)
        recipients.append(ForeignRecipient(country=country, equivalent_measures=equivalent))
    return tuple(recipients)


def _member(item: object, where: str, rule_set: RuleSet) -> Member:
    entry = _object(item, where)
    _reject_unknown_keys(entry, MEMBER_KEYS, where)
    member_id = _string(entry, "id", where)
    if not member_id:
        raise InvalidInput(_path(where, "id"), "must not be empty")
    # Each rule set needs its own classification of members: JP-ERC-01 categories, US-IRB-02 scientist.
    category = _enum(entry, "category", Category, where) if rule_set is RuleSet.JP else _optional_category(entry, where)
    scientist = (
        _bool(entry, "scientist", where) if rule_set is RuleSet.US else _optional_bool(entry, "scientist", where)
    )
    return Member(
        id=member_id,
        category=category,
        scientist=scientist,
        external=_bool(entry, "external", where),
        sex=_enum(entry, "sex", Sex, where),
        present=_optional_bool(entry, "present", where),
        conflict=_bool(entry, "conflict", where, default=False),
    )


def _optional_category(entry: Mapping[str, object], where: str) -> Category | None:
    if "category" not in entry:
        return None
    return _enum(entry, "category", Category, where)


def _optional_bool(entry: Mapping[str, object], key: str, where: str) -> bool | None:
    if key not in entry:
        return None
    return _bool(entry, key, where)


# --- primitive checks -------------------------------------------------------------------


def _path(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _show(value: object) -> str:
    # Bounded: a message must stay readable whatever was sent.
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _object(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise InvalidInput(where, f"expected an object, got {_kind(value)}")
    for key in value:
        if not isinstance(key, str):
            raise InvalidInput(where, f"keys must be strings, got {_kind(key)} {_show(key)}")
    return value


def _reject_unknown_keys(obj: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(key for key in obj if key not in allowed)
    if unknown:
        raise InvalidInput(_path(where, unknown[0]), f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _get(obj: Mapping[str, object], key: str, where: str, default: object, expected: str) -> object:
    value = obj.get(key, _MISSING)
    if value is _MISSING:
        if default is _MISSING:
            raise InvalidInput(_path(where, key), f"required field is missing (expected {expected})")
        return default
    return value


def _bool(obj: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> bool:
    value = _get(obj, key, where, default, "true or false")
    # bool only: 0/1 or "yes" are refused rather than guessed.
    if not isinstance(value, bool):
        raise InvalidInput(_path(where, key), f"expected true or false, got {_kind(value)} {_show(value)}")
    return value


def _string(obj: Mapping[str, object], key: str, where: str) -> str:
    value = _get(obj, key, where, _MISSING, "a string")
    if not isinstance(value, str):
        raise InvalidInput(_path(where, key), f"expected a string, got {_kind(value)} {_show(value)}")
    return value


def _enum(obj: Mapping[str, object], key: str, enum: type[E], where: str, default: object = _MISSING) -> E:
    choices = ", ".join(member.value for member in enum)
    value = _get(obj, key, where, default, f"one of: {choices}")
    if isinstance(value, enum):
        return value
    # Checked as a string first: an unhashable value (a list) must give InvalidInput, not TypeError.
    if not isinstance(value, str):
        raise InvalidInput(_path(where, key), f"expected a string (one of: {choices}), got {_kind(value)}")
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(_path(where, key), f"unknown value {_show(value)} (expected one of: {choices})") from None


def _array(obj: Mapping[str, object], key: str, where: str, default: object = _MISSING) -> Sequence[object]:
    value = _get(obj, key, where, default, "an array")
    if not isinstance(value, list | tuple):
        raise InvalidInput(_path(where, key), f"expected an array, got {_kind(value)}")
    return value
