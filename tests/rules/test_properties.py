"""Properties over random facts: the engine never crashes, always explains itself with rule
IDs, never relaxes JP-IC-01, and refuses every invalid input with InvalidInput only."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research_governance.rules import InvalidInput, assess_study, check_committee, load_rulebook
from research_governance.rules.facts import COMMITTEE_KEYS, MEMBER_KEYS, RECIPIENT_KEYS, STUDY_KEYS

from .support import BASE_STUDY

CANONICAL = [
    "written_ic",
    "oral_ic_with_record",
    "appropriate_consent",
    "opt_out",
    "anonymously_processed",
    "broad_consent_with_notice",
    "pseudonymised_with_notice",
    "no_consent_exception",
]
ENUMS: dict[str, list[str]] = {
    "rule_set": ["JP", "US"],
    "acquisition": ["new", "existing_own", "provide_to_other"],
    "invasiveness": ["none", "minor", "invasive"],
    "deidentification": ["identified", "pseudonymised", "non_identifiable", "anonymously_processed", "aggregate"],
}
BOOLS = sorted(STUDY_KEYS - set(ENUMS) - {"foreign_recipients"})
REQUIRED = set(BASE_STUDY)
# Some countries the lists know (designated, EEA, adequacy) and any other two capital letters.
COUNTRIES = st.one_of(
    st.sampled_from(["US", "JP", "GB", "DE", "FR", "NO", "CH", "CN", "KR", "IN"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2),
)
RECIPIENT = st.fixed_dictionaries({"country": COUNTRIES}, optional={"equivalent_measures": st.booleans()})
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
# No example database: the tests stay hermetic and write nothing into the checkout.
FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def valid_facts(draw: st.DrawFn) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    for key, values in ENUMS.items():
        if key in REQUIRED or draw(st.booleans()):
            facts[key] = draw(st.sampled_from(values))
    for key in BOOLS:
        if key in REQUIRED or draw(st.booleans()):
            facts[key] = draw(st.booleans())
    if draw(st.booleans()):
        facts["foreign_recipients"] = draw(st.lists(RECIPIENT, max_size=4))
    return facts


@st.composite
def invalid_facts(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """Valid facts broken in one way, and the field the error must name."""
    facts = draw(valid_facts())
    breakage = draw(st.sampled_from(["missing", "unknown_key", "bad_bool", "bad_enum", "bad_recipient"]))
    if breakage == "missing":
        key = draw(st.sampled_from(sorted(REQUIRED)))
        del facts[key]
        return facts, key
    if breakage == "unknown_key":
        key = draw(st.text(min_size=1, max_size=12).filter(lambda k: k not in STUDY_KEYS))
        facts[key] = draw(JSON_VALUES)
        return facts, key
    if breakage == "bad_bool":
        key = draw(st.sampled_from(BOOLS))
        facts[key] = draw(JSON_VALUES.filter(lambda v: not isinstance(v, bool)))
        return facts, key
    if breakage == "bad_enum":
        key = draw(st.sampled_from(sorted(ENUMS)))
        facts[key] = draw(JSON_VALUES.filter(lambda v, k=key: v not in ENUMS[k]))
        return facts, key
    bad_entry = st.one_of(
        JSON_VALUES.filter(lambda v: not isinstance(v, dict)),
        st.fixed_dictionaries({"country": st.text(max_size=4).filter(lambda c: not (len(c) == 2 and c.isupper()))}),
        st.fixed_dictionaries(
            {"country": COUNTRIES, "equivalent_measures": JSON_VALUES.filter(lambda v: v not in (True, False))}
        ),
        st.dictionaries(st.text(max_size=6).filter(lambda k: k not in RECIPIENT_KEYS), JSON_VALUES, min_size=1),
    )
    facts["foreign_recipients"] = [*draw(st.lists(RECIPIENT, max_size=2)), draw(bad_entry)]
    return facts, "foreign_recipients"


def all_parts(result: dict[str, Any]) -> list[dict[str, Any]]:
    return [result["consent"], result["review"], result["obligations"], *result["foreign_provision"]]


@FAST
@given(valid_facts())
def test_every_verdict_part_names_known_rule_ids_and_explains_in_both_languages(facts: dict[str, Any]) -> None:
    result = assess_study(facts)
    known = {rule.id for rule in load_rulebook().rules}
    for part in all_parts(result):
        assert part["rule_ids"], part
        assert part["rule_ids"] == sorted(set(part["rule_ids"]))
        assert set(part["rule_ids"]) <= known
        assert part["reasons"]
        for reason in part["reasons"]:
            assert set(reason) == {"rule_id", "en", "ja"}
            assert reason["rule_id"] in part["rule_ids"]
            assert reason["en"]
            assert reason["ja"]


@FAST
@given(valid_facts())
def test_the_output_is_json_and_carries_the_rulebook_version(facts: dict[str, Any]) -> None:
    result = assess_study(facts)
    assert json.loads(json.dumps(result, sort_keys=True, ensure_ascii=False)) == result
    assert result["rulebook_version"] == load_rulebook().version
    assert result["rule_set"] == facts.get("rule_set", "JP")


@FAST
@given(valid_facts())
def test_allowed_procedures_are_known_codes_in_canonical_order(facts: dict[str, Any]) -> None:
    allowed = assess_study(facts)["consent"]["allowed"]
    assert allowed
    assert allowed == sorted(set(allowed), key=CANONICAL.index)


@FAST
@given(valid_facts(), st.sampled_from(["minor", "invasive"]))
def test_new_acquisition_with_invasiveness_allows_only_written_ic_jp_ic_01(facts: dict[str, Any], level: str) -> None:
    facts = {**facts, "rule_set": "JP", "acquisition": "new", "invasiveness": level}
    assert assess_study(facts)["consent"]["allowed"] == ["written_ic"]


@FAST
@given(valid_facts())
def test_a_recipient_needing_consent_removes_every_procedure_without_consent_jp_ic_09(facts: dict[str, Any]) -> None:
    result = assess_study({**facts, "rule_set": "JP"})
    if any(v["requires_consent_with_information"] for v in result["foreign_provision"]):
        assert not {"opt_out", "no_consent_exception"} & set(result["consent"]["allowed"])


@FAST
@given(valid_facts())
def test_pseudonymised_data_are_never_provided_without_consent_jp_ic_08(facts: dict[str, Any]) -> None:
    facts = {**facts, "rule_set": "JP", "acquisition": "provide_to_other", "deidentification": "pseudonymised"}
    assert not {"opt_out", "no_consent_exception"} & set(assess_study(facts)["consent"]["allowed"])


@FAST
@given(valid_facts())
def test_information_only_special_care_never_allows_opt_out_jp_ic_04(facts: dict[str, Any]) -> None:
    facts = {
        **facts,
        "rule_set": "JP",
        "acquisition": "new",
        "invasiveness": "none",
        "interventional": False,
        "uses_samples": False,
        "special_care_personal_info": True,
    }
    consent = assess_study(facts)["consent"]
    assert "opt_out" not in consent["allowed"]
    assert consent["exception_possible"] is True


@FAST
@given(invalid_facts())
def test_invalid_facts_raise_invalid_input_naming_the_field(case: tuple[dict[str, Any], str]) -> None:
    facts, field = case
    with pytest.raises(InvalidInput) as raised:
        assess_study(facts)
    assert raised.value.field.startswith(field)
    assert raised.value.message.startswith(raised.value.field + ": ")


@FAST
@given(st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(sorted(STUDY_KEYS)), JSON_VALUES)))
def test_arbitrary_json_gives_a_verdict_or_invalid_input_never_another_error(data: Any) -> None:
    try:
        result = assess_study(data)
    except InvalidInput:
        return
    assert "rulebook_version" in result


MEMBER = st.fixed_dictionaries(
    {
        "category": st.sampled_from(["natural_science", "humanities_social", "general_public"]),
        "scientist": st.booleans(),
        "external": st.booleans(),
        "sex": st.sampled_from(["female", "male", "other"]),
    },
    optional={"present": st.booleans(), "conflict": st.booleans()},
)


@FAST
@given(st.sampled_from(["JP", "US"]), st.lists(MEMBER, max_size=9))
def test_committee_checks_never_crash_and_count_only_present_members_without_conflict(
    rule_set: str, members: list[dict[str, Any]]
) -> None:
    roster = [{"id": f"m{i}", **m} for i, m in enumerate(members)]
    result = check_committee({"rule_set": rule_set, "members": roster})
    assert json.loads(json.dumps(result)) == result
    assert result["composition"]["rule_ids"]
    assert result["composition"]["valid"] == (not result["composition"]["violations"])
    quorum = result["quorum"]
    if not any("present" in m for m in roster):
        assert quorum is None
        return
    assert quorum is not None
    assert quorum["rule_ids"]
    expected = [m["id"] for m in roster if m.get("present") and not m.get("conflict")]
    assert quorum["counted_member_ids"] == expected
    if quorum["valid"] and rule_set == "JP":
        # JP-ERC-06: a quorate meeting satisfies the composition tests by itself.
        assert len(expected) >= 5


@FAST
@given(
    st.one_of(
        JSON_VALUES,
        st.dictionaries(st.sampled_from([*sorted(COMMITTEE_KEYS), "extra"]), JSON_VALUES),
        st.fixed_dictionaries(
            {"members": st.lists(st.dictionaries(st.sampled_from([*sorted(MEMBER_KEYS), "role"]), JSON_VALUES))}
        ),
    )
)
def test_arbitrary_committee_input_gives_a_check_or_invalid_input_never_another_error(data: Any) -> None:
    try:
        result = check_committee(data)
    except InvalidInput:
        return
    assert "rulebook_version" in result
