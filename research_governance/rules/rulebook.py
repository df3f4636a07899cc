"""The rulebook: rules and country lists as versioned data files.

Each file in rulebooks/ is one complete rulebook with an effective date; the one in force
is the latest whose effective date is not after the day asked about. A new edition of the
rules is a new file, so an assessment can always say which edition it used. UNVERIFIED
rules live here as data an administrator can review and switch (their `params`), never
as constants in code."""

import dataclasses
import datetime
import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import Any

from .errors import InvalidInput, RulebookError

RULE_SETS = ("JP", "US", "XB")
_RULE_ID = re.compile(r"(JP-ERC|JP-IC|JP-R|US-IRB|US-R|XB)-\d{2}")
_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class Rule:
    id: str
    rule_set: str  # "JP" | "US" | "XB"
    title_en: str
    title_ja: str
    text_en: str
    text_ja: str
    source: str  # short key, e.g. "MHLW guideline s.8", "45 CFR 46.108(b)"
    verified: bool  # False for rules REGULATORY.md marks UNVERIFIED as a whole
    configurable: bool  # an administrator may change its params
    checked_by_engine: bool  # False: enforced elsewhere, see enforced_elsewhere
    enforced_elsewhere: str
    unverified_parts: tuple[str, ...]  # UNVERIFIED parts of an otherwise verified rule
    # Left out of hashing (a mapping is unhashable) so rules can still go in sets.
    params: Mapping[str, object] = field(hash=False)


@dataclass(frozen=True)
class CountryList:
    name: str
    version: str
    effective_date: datetime.date
    source: str
    note_en: str
    note_ja: str
    countries: frozenset[str]
    country_notes: Mapping[str, str] = field(hash=False)


@dataclass(frozen=True)
class Rulebook:
    version: str
    effective_date: datetime.date
    # A tuple, not a list: rulebooks are cached and shared, so they must not be mutable.
    rules: tuple[Rule, ...]
    list_version: str
    designated_list: CountryList  # APPI-designated countries (XB-01, JP-IC-09)
    eea_list: CountryList  # EEA member states (XB-02: what counts as leaving the EEA)
    adequacy_list: CountryList  # GDPR Art. 45 adequacy decisions (XB-02)
    source_note_en: str
    source_note_ja: str

    @property
    def designated_countries(self) -> frozenset[str]:
        return self.designated_list.countries

    @property
    def adequacy_countries(self) -> frozenset[str]:
        return self.adequacy_list.countries

    @property
    def eea_countries(self) -> frozenset[str]:
        return self.eea_list.countries

    @property
    def adequacy_note(self) -> str:
        return self.adequacy_list.note_en

    def rule(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def has_rule(self, rule_id: str) -> bool:
        return any(rule.id == rule_id for rule in self.rules)

    def flag(self, rule_id: str, name: str) -> bool:
        """A boolean parameter, e.g. whether an UNVERIFIED ground is switched on."""
        value = self.rule(rule_id).params[name]
        if not isinstance(value, bool):
            raise RulebookError(f"rulebook {self.version}: {rule_id}.params.{name} must be true or false")
        return value

    def number(self, rule_id: str, name: str) -> int:
        """An integer parameter, e.g. the minimum number of members."""
        value = self.rule(rule_id).params[name]
        if not isinstance(value, int) or isinstance(value, bool):
            raise RulebookError(f"rulebook {self.version}: {rule_id}.params.{name} must be an integer")
        return value


def load_rulebook(rule_set: str | None = None, *, on: datetime.date | None = None) -> Rulebook:
    """The rulebook in force on `on` (default: today), with only the rules of `rule_set`
    ("JP", "US" or "XB"; None: all). Cached. The engine needs the whole rulebook: pass a
    filtered one to assess_study/check_committee and a rule it reads may be missing."""
    if rule_set is not None and rule_set not in RULE_SETS:
        raise InvalidInput("rule_set", f"unknown value {rule_set!r} (expected one of: {', '.join(RULE_SETS)})")
    # date.today() follows the process time zone, which Django sets from TIME_ZONE.
    return _select(rule_set, on or datetime.date.today())


@functools.lru_cache(maxsize=64)
def _select(rule_set: str | None, on: datetime.date) -> Rulebook:
    book = choose_rulebook(all_rulebooks(), on)
    if rule_set is None:
        return book
    return dataclasses.replace(book, rules=tuple(r for r in book.rules if r.rule_set == rule_set))


def choose_rulebook(books: Iterable[Rulebook], on: datetime.date) -> Rulebook:
    """The rulebook in force on a day: the latest effective date not after it."""
    in_force = [book for book in books if book.effective_date <= on]
    if not in_force:
        raise RulebookError(f"no rulebook is in force on {on.isoformat()}")
    return max(in_force, key=lambda b: b.effective_date)


@functools.cache
def all_rulebooks() -> tuple[Rulebook, ...]:
    """Every rulebook shipped in the package, oldest first."""
    folder = resources.files("research_governance.rules").joinpath("rulebooks")
    books = [
        parse_rulebook(json.loads(entry.read_text(encoding="utf-8")), entry.name)
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    ]
    if not books:
        raise RulebookError("no rulebook files found")
    dates = [book.effective_date for book in books]
    if len(set(dates)) != len(dates):
        raise RulebookError("two rulebooks have the same effective date")
    return tuple(sorted(books, key=lambda b: b.effective_date))


# --- parsing the data file: a broken file fails loudly at load time, never mid-verdict ----


def parse_rulebook(raw: object, origin: str) -> Rulebook:
    doc = _mapping(raw, origin)
    lists = _mapping(doc.get("country_lists"), f"{origin}: country_lists")
    rules = tuple(_rule(item, f"{origin}: rules[{i}]") for i, item in enumerate(_list(doc.get("rules"), origin)))
    ids = [rule.id for rule in rules]
    if len(set(ids)) != len(ids):
        raise RulebookError(f"{origin}: duplicate rule ids")
    note = _mapping(doc.get("source_note"), f"{origin}: source_note")
    return Rulebook(
        version=_str(doc.get("version"), f"{origin}: version"),
        effective_date=_date(doc.get("effective_date"), f"{origin}: effective_date"),
        rules=rules,
        list_version=_str(lists.get("version"), f"{origin}: country_lists.version"),
        designated_list=_country_list(lists, "appi_designated", origin),
        eea_list=_country_list(lists, "eea_member_states", origin),
        adequacy_list=_country_list(lists, "gdpr_adequacy", origin),
        source_note_en=_str(note.get("en"), f"{origin}: source_note.en"),
        source_note_ja=_str(note.get("ja"), f"{origin}: source_note.ja"),
    )


def _rule(raw: object, where: str) -> Rule:
    item = _mapping(raw, where)
    rule_id = _str(item.get("id"), f"{where}.id")
    if not _RULE_ID.fullmatch(rule_id):
        raise RulebookError(f"{where}.id: malformed rule id {rule_id!r}")
    rule_set = _str(item.get("rule_set"), f"{where}.rule_set")
    if rule_set not in RULE_SETS or not rule_id.startswith(rule_set):
        raise RulebookError(f"{where}.rule_set: {rule_set!r} does not fit {rule_id}")
    title = _mapping(item.get("title"), f"{where}.title")
    text = _mapping(item.get("text"), f"{where}.text")
    return Rule(
        id=rule_id,
        rule_set=rule_set,
        title_en=_str(title.get("en"), f"{where}.title.en"),
        title_ja=_str(title.get("ja"), f"{where}.title.ja"),
        text_en=_str(text.get("en"), f"{where}.text.en"),
        text_ja=_str(text.get("ja"), f"{where}.text.ja"),
        source=_str(item.get("source"), f"{where}.source"),
        verified=_flag(item.get("verified"), f"{where}.verified"),
        configurable=_flag(item.get("configurable"), f"{where}.configurable"),
        checked_by_engine=_flag(item.get("engine"), f"{where}.engine"),
        enforced_elsewhere=_str(item.get("enforced_elsewhere"), f"{where}.enforced_elsewhere", allow_empty=True),
        unverified_parts=tuple(
            _str(part, f"{where}.unverified_parts") for part in _list(item.get("unverified_parts"), where)
        ),
        params=MappingProxyType(dict(_mapping(item.get("params"), f"{where}.params"))),
    )


def _country_list(lists: Mapping[str, Any], name: str, origin: str) -> CountryList:
    where = f"{origin}: country_lists.{name}"
    raw = _mapping(lists.get(name), where)
    countries = [_str(code, f"{where}.countries") for code in _list(raw.get("countries"), where)]
    bad = [code for code in countries if not _COUNTRY_CODE.fullmatch(code)]
    if bad:
        raise RulebookError(f"{where}.countries: not ISO 3166-1 alpha-2: {bad}")
    notes = _mapping(raw.get("country_notes"), f"{where}.country_notes")
    note = _mapping(raw.get("note"), f"{where}.note")
    return CountryList(
        name=name,
        version=_str(raw.get("version"), f"{where}.version"),
        effective_date=_date(raw.get("effective_date"), f"{where}.effective_date"),
        source=_str(raw.get("source"), f"{where}.source"),
        note_en=_str(note.get("en"), f"{where}.note.en"),
        note_ja=_str(note.get("ja"), f"{where}.note.ja"),
        countries=frozenset(countries),
        country_notes=MappingProxyType({k: _str(v, f"{where}.country_notes.{k}") for k, v in notes.items()}),
    )


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RulebookError(f"{where}: expected an object")
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list):
        raise RulebookError(f"{where}: expected an array")
    return value


def _str(value: object, where: str, *, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise RulebookError(f"{where}: expected a non-empty string")
    return value


def _flag(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise RulebookError(f"{where}: expected true or false")
    return value


def _date(value: object, where: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(_str(value, where))
    except ValueError:
        raise RulebookError(f"{where}: expected an ISO date") from None
