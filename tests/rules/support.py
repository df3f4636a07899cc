"""Builders for the rules-engine tests: valid facts with a few fields changed."""

import dataclasses
from typing import Any

from research_governance.rules import Rulebook, load_rulebook

BASE_STUDY: dict[str, Any] = {
    "acquisition": "new",
    "uses_samples": False,
    "invasiveness": "none",
    "interventional": False,
    "special_care_personal_info": False,
    "deidentification": "identified",
}


def study(**changes: Any) -> dict[str, Any]:
    """A minimal valid assess-study input (JP-IC-05 as it stands) with `changes` applied."""
    return {**BASE_STUDY, **changes}


def member(member_id: str, category: str = "natural_science", **changes: Any) -> dict[str, Any]:
    return {"id": member_id, "category": category, "external": False, "sex": "female", **changes}


def jp_roster(**per_member: dict[str, Any]) -> list[dict[str, Any]]:
    """Five members satisfying JP-ERC-01..05; `per_member` overrides fields of m1..m5."""
    members = [
        member("m1", "natural_science", sex="male"),
        member("m2", "natural_science", sex="female"),
        member("m3", "humanities_social", sex="female", external=True),
        member("m4", "general_public", sex="male", external=True),
        member("m5", "humanities_social", sex="male"),
    ]
    return [{**m, **per_member.get(m["id"], {})} for m in members]


def us_roster(**per_member: dict[str, Any]) -> list[dict[str, Any]]:
    """Five members satisfying US-IRB-01/02; `per_member` overrides fields of u1..u5."""
    members = [
        {"id": "u1", "scientist": True, "external": False, "sex": "female"},
        {"id": "u2", "scientist": True, "external": False, "sex": "male"},
        {"id": "u3", "scientist": False, "external": True, "sex": "female"},
        {"id": "u4", "scientist": True, "external": False, "sex": "male"},
        {"id": "u5", "scientist": False, "external": False, "sex": "female"},
    ]
    return [{**m, **per_member.get(m["id"], {})} for m in members]


def with_params(book: Rulebook, rule_id: str, **params: object) -> Rulebook:
    """The rulebook with some parameters of one rule changed, as an administrator would."""
    rules = tuple(
        dataclasses.replace(rule, params={**rule.params, **params}) if rule.id == rule_id else rule
        for rule in book.rules
    )
    return dataclasses.replace(book, rules=rules)


def current() -> Rulebook:
    return load_rulebook()


def en_texts(part: dict[str, Any], rule_id: str) -> list[str]:
    return [r["en"] for r in part["reasons"] if r["rule_id"] == rule_id]
