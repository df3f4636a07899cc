"""The rulebook is data: every rule of REGULATORY.md sections 1-3 and 5, in English and
Japanese, with its source status; selected by effective date."""

import ast
import dataclasses
import datetime
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from research_governance.rules import InvalidInput, RulebookError, load_rulebook
from research_governance.rules.rulebook import all_rulebooks, choose_rulebook, parse_rulebook

PACKAGE = Path(__file__).resolve().parents[2] / "research_governance" / "rules"
RULEBOOK_FILE = PACKAGE / "rulebooks" / "2026-04-01.json"

EXPECTED_IDS = {
    *(f"JP-ERC-{n:02}" for n in range(1, 14)),
    *(f"US-IRB-{n:02}" for n in (1, 2, 3, 4, 5, 7, 8)),
    *(f"JP-IC-{n:02}" for n in range(1, 13)),
    *(f"JP-R-{n:02}" for n in range(1, 9)),
    "US-R-01",
    "US-R-02",
    "XB-01",
    "XB-02",
    "XB-03",
}
# Marked UNVERIFIED as a whole in REGULATORY.md.
UNVERIFIED_IDS = {"JP-ERC-09", "JP-ERC-11", "JP-R-03", "JP-R-08"}
# Verified rules with UNVERIFIED parts, each part a switch or a marked reason.
PARTLY_UNVERIFIED_IDS = {"JP-ERC-10", "JP-IC-04", "JP-IC-06", "JP-IC-08", "JP-IC-10"}
# Rules the engine cannot check (workflow, records, signatures): enforced elsewhere.
NOT_ENGINE_IDS = {
    "JP-ERC-09",
    "JP-ERC-11",
    "JP-R-03",
    "JP-R-04",
    "JP-R-08",
    "US-R-01",
    "US-R-02",
}
DYNAMIC_DJANGO_IMPORT = re.compile(r"""(import_module|__import__)\(\s*["']django""")
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def test_the_rulebook_holds_every_rule_of_sections_1_2_3_and_5() -> None:
    assert {rule.id for rule in load_rulebook().rules} == EXPECTED_IDS


def test_every_rule_has_an_english_and_a_japanese_title_and_text() -> None:
    for rule in load_rulebook().rules:
        assert rule.title_en, rule.id
        assert rule.text_en, rule.id
        assert JAPANESE.search(rule.title_ja), rule.id
        assert JAPANESE.search(rule.text_ja), rule.id
        assert rule.source, rule.id


def test_unverified_rules_are_marked_and_configurable() -> None:
    book = load_rulebook()
    assert {rule.id for rule in book.rules if not rule.verified} == UNVERIFIED_IDS
    assert {rule.id for rule in book.rules if rule.unverified_parts and rule.verified} == PARTLY_UNVERIFIED_IDS
    for rule in book.rules:
        if not rule.verified:
            assert rule.configurable, rule.id
        if "UNVERIFIED" in rule.text_en:
            assert rule.unverified_parts, rule.id


def test_rules_the_engine_cannot_check_say_where_they_are_enforced() -> None:
    book = load_rulebook()
    assert {rule.id for rule in book.rules if not rule.checked_by_engine} == NOT_ENGINE_IDS
    for rule in book.rules:
        if not rule.checked_by_engine:
            assert rule.enforced_elsewhere, rule.id


def test_each_rule_belongs_to_the_rule_set_of_its_id() -> None:
    for rule in load_rulebook().rules:
        assert rule.id.startswith(rule.rule_set), rule.id
    assert {rule.rule_set for rule in load_rulebook("US").rules} == {"US"}
    assert {rule.id for rule in load_rulebook("XB").rules} == {"XB-01", "XB-02", "XB-03"}


def test_an_unknown_rule_set_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="rule_set"):
        load_rulebook("EU")


def test_the_rulebook_is_versioned_and_cached() -> None:
    book = load_rulebook()
    assert book.version == "2026-04-01"
    assert book.effective_date == datetime.date(2026, 4, 1)
    assert book.list_version
    assert load_rulebook() is book


def test_the_latest_rulebook_in_force_is_chosen() -> None:
    book = load_rulebook()
    older = dataclasses.replace(book, version="old", effective_date=datetime.date(2025, 4, 1))
    newer = dataclasses.replace(book, version="new", effective_date=datetime.date(2027, 4, 1))
    books = [newer, book, older]
    assert choose_rulebook(books, datetime.date(2025, 4, 1)).version == "old"
    assert choose_rulebook(books, datetime.date(2026, 3, 31)).version == "old"
    assert choose_rulebook(books, datetime.date(2026, 4, 1)).version == book.version
    assert choose_rulebook(books, datetime.date(2027, 4, 1)).version == "new"
    with pytest.raises(RulebookError, match="no rulebook is in force"):
        choose_rulebook(books, datetime.date(2020, 1, 1))


def test_a_day_before_the_first_rulebook_has_no_rulebook() -> None:
    with pytest.raises(RulebookError):
        load_rulebook(on=datetime.date(2026, 3, 31))
    assert load_rulebook(on=datetime.date(2026, 4, 1)).version == "2026-04-01"


def test_every_shipped_rulebook_parses() -> None:
    files = sorted(p.name for p in (PACKAGE / "rulebooks").glob("*.json"))
    assert len(all_rulebooks()) == len(files) >= 1


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda doc: doc["rules"][0].pop("text"), r"rules\[0\]\.text"),
        (lambda doc: doc["rules"][0].update(rule_set="US"), "does not fit"),
        (lambda doc: doc["rules"][0].update(verified="yes"), "verified"),
        (lambda doc: doc["rules"].append(doc["rules"][0]), "duplicate"),
        (lambda doc: doc["country_lists"]["appi_designated"]["countries"].append("gbr"), "alpha-2"),
        (lambda doc: doc.update(effective_date="1 April 2026"), "ISO date"),
    ],
    ids=["missing-text", "wrong-rule-set", "verified-not-bool", "duplicate-id", "bad-country", "bad-date"],
)
def test_a_damaged_rulebook_file_fails_loudly(damage, message: str) -> None:
    doc = json.loads(RULEBOOK_FILE.read_text(encoding="utf-8"))
    damage(doc)
    with pytest.raises(RulebookError, match=message):
        parse_rulebook(doc, "damaged.json")


# --- plain Python -------------------------------------------------------------------------


def test_no_module_of_the_rules_package_imports_django() -> None:
    sources = sorted(PACKAGE.rglob("*.py"))
    assert sources
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(name == "django" or name.startswith("django.") for name in names), path
        # Dynamic imports too; prose mentioning Django is fine.
        assert not DYNAMIC_DJANGO_IMPORT.search(path.read_text(encoding="utf-8")), path


def test_the_rules_package_runs_without_django_loaded() -> None:
    # The parent package imports Celery (and so Django settings); stand in for it so only
    # research_governance.rules itself is imported.
    script = f"""
import sys, types
parent = types.ModuleType("research_governance")
parent.__path__ = [{str(PACKAGE.parent)!r}]
sys.modules["research_governance"] = parent
from research_governance.rules import assess_study
assess_study({{"acquisition": "new", "uses_samples": False, "invasiveness": "none", "interventional": False,
    "special_care_personal_info": False, "deidentification": "identified"}})
loaded = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
assert not loaded, loaded
"""
    # The script is the test's own constant text, run with this interpreter.
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)  # noqa: S603
