"""The DUO matcher: each permission and modifier against the requests it allows and refuses."""

import datetime
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research_governance.rules import InvalidInput
from research_governance.rules.duo import (
    CODES,
    DATASET_KEYS,
    DUO_RELEASE,
    REQUEST_KEYS,
    DataUseScope,
    IntendedUse,
    Modifier,
    Permission,
    match_use,
    match_use_json,
    parse_match_input,
    summary,
)

DAY = datetime.date(2026, 12, 1)
ALZHEIMER = "MONDO:0004975"
DIABETES = "MONDO:0005015"


def use(**changes: Any) -> IntendedUse:
    base = IntendedUse(purpose="HMB", commercial=False, country="JP", date=DAY, ethics_approval=True)
    return replace(base, **changes)


def scope(permission: str = "GRU", *modifiers: str, **changes: Any) -> DataUseScope:
    return replace(DataUseScope(permission=permission, modifiers=modifiers), **changes)


def term(result: dict[str, Any], code: str) -> dict[str, Any]:
    (found,) = [t for t in result["terms"] if t["code"] == code]
    return found


ISSUE_EXAMPLE = {
    "dataset": {
        "permission": "HMB",
        "diseases": [],
        "modifiers": ["NPU", "GS", "IRB"],
        "countries": ["JP"],
        "time_limit": "2027-12-31",
    },
    "request": {
        "purpose": "DS",
        "diseases": ["MONDO:0004992"],
        "commercial": False,
        "country": "JP",
        "ethics_approval": True,
        "date": "2026-12-01",
    },
}


def test_the_issue_example_is_permitted_without_obligations() -> None:
    result = match_use_json(ISSUE_EXAMPLE)
    assert set(result) == {"permitted", "unmet", "obligations", "reasons"}
    assert result["permitted"] is True
    assert result["unmet"] == []
    assert result["obligations"] == []
    assert all(isinstance(text, str) for text in result["reasons"])
    assert [text.split(" ")[0] for text in result["reasons"]] == ["HMB", "NPU", "GS", "IRB", "TS"]


# --- permissions ------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", ["GRU", "HMB", "POA"])
def test_gru_permits_any_research_purpose(purpose: str) -> None:
    assert match_use(scope("GRU"), use(purpose=purpose))["permitted"] is True
    assert match_use(scope("GRU"), use(purpose="DS", diseases=(DIABETES,)))["permitted"] is True


def test_hmb_permits_health_and_any_disease_but_not_poa_or_general_research() -> None:
    assert match_use(scope("HMB"), use(purpose="HMB"))["permitted"] is True
    assert match_use(scope("HMB"), use(purpose="DS", diseases=(ALZHEIMER,)))["permitted"] is True
    for refused in (use(purpose="POA"), use(purpose="GRU"), use(purpose="HMB", ancestry=True)):
        result = match_use(scope("HMB"), refused)
        assert result["permitted"] is False
        assert result["unmet"] == ["HMB"]


def test_ds_permits_only_the_datasets_diseases_matched_exactly() -> None:
    dataset = scope("DS", diseases=(DIABETES, ALZHEIMER))
    assert match_use(dataset, use(purpose="DS", diseases=(DIABETES,)))["permitted"] is True
    outside = match_use(dataset, use(purpose="DS", diseases=(DIABETES, "MONDO:0004992")))
    assert outside["unmet"] == ["DS"]
    assert "MONDO:0004992" in term(outside, "DS")["reason"]["en"]
    assert match_use(dataset, use(purpose="DS", diseases=("mondo:0005015",)))["unmet"] == ["DS"]
    assert match_use(dataset, use(purpose="HMB"))["unmet"] == ["DS"]
    assert match_use(dataset, use(purpose="POA"))["unmet"] == ["DS"]


def test_poa_permits_only_population_origins_or_ancestry_research() -> None:
    assert match_use(scope("POA"), use(purpose="POA"))["permitted"] is True
    assert match_use(scope("POA"), use(purpose="HMB"))["unmet"] == ["POA"]
    assert match_use(scope("POA"), use(purpose="GRU"))["unmet"] == ["POA"]


def test_nres_permits_everything_including_clinical_care() -> None:
    for request in (use(purpose="POA"), use(purpose="GRU", commercial=True), use(clinical_care=True)):
        assert match_use(scope("NRES"), request)["permitted"] is True


def test_clinical_care_is_refused_without_cc_or_nres() -> None:
    result = match_use(scope("GRU"), use(clinical_care=True))
    assert result["unmet"] == ["GRU"]
    assert "clinical care" in term(result, "GRU")["reason"]["en"]


# --- modifiers --------------------------------------------------------------------------


def test_npu_refuses_a_commercial_request() -> None:
    assert match_use(scope("GRU", "NPU"), use(commercial=True))["unmet"] == ["NPU"]


def test_npu_refuses_a_recipient_stated_not_to_be_not_for_profit() -> None:
    assert match_use(scope("GRU", "NPU"), use(not_for_profit=False))["unmet"] == ["NPU"]
    assert match_use(scope("GRU", "NPU"), use(not_for_profit=True))["permitted"] is True


def test_npu_leaves_an_unstated_organisation_to_the_committee() -> None:
    result = match_use(scope("GRU", "NPU"), use(not_for_profit=None))
    assert result["permitted"] is True
    assert "committee confirms" in term(result, "NPU")["reason"]["en"]


def test_ncu_refuses_a_commercial_request() -> None:
    assert match_use(scope("GRU", "NCU"), use(commercial=True))["unmet"] == ["NCU"]
    # NCU is about the use, not the organisation.
    assert match_use(scope("GRU", "NCU"), use(not_for_profit=False))["permitted"] is True


def test_npuncu_refuses_commercial_use_and_for_profit_recipients() -> None:
    assert match_use(scope("GRU", "NPUNCU"), use(commercial=True))["unmet"] == ["NPUNCU"]
    assert match_use(scope("GRU", "NPUNCU"), use(not_for_profit=False))["unmet"] == ["NPUNCU"]
    assert match_use(scope("GRU", "NPUNCU"), use(not_for_profit=True))["permitted"] is True


def test_npoa_refuses_ancestry_research_under_gru() -> None:
    assert match_use(scope("GRU", "NPOA"), use(purpose="POA"))["unmet"] == ["NPOA"]
    assert match_use(scope("GRU", "NPOA"), use(ancestry=True))["unmet"] == ["NPOA"]
    assert match_use(scope("GRU", "NPOA"), use())["permitted"] is True


def test_gs_refuses_a_country_outside_the_list() -> None:
    dataset = scope("GRU", "GS", countries=("JP", "DE"))
    assert match_use(dataset, use(country="DE"))["permitted"] is True
    result = match_use(dataset, use(country="US"))
    assert result["unmet"] == ["GS"]
    assert "US" in term(result, "GS")["reason"]["en"]


def test_irb_refuses_a_request_without_ethics_approval() -> None:
    assert match_use(scope("GRU", "IRB"), use(ethics_approval=False))["unmet"] == ["IRB"]
    assert match_use(scope("GRU", "IRB"), use(ethics_approval=True))["permitted"] is True


def test_ts_refuses_a_request_after_the_limit() -> None:
    dataset = scope("GRU", "TS", time_limit=datetime.date(2026, 11, 30))
    assert match_use(dataset, use(date=DAY))["unmet"] == ["TS"]
    assert match_use(dataset, use(date=datetime.date(2026, 11, 30)))["permitted"] is True


def test_ts_refuses_a_term_that_runs_past_the_limit() -> None:
    dataset = scope("GRU", "TS", time_limit=datetime.date(2027, 12, 31))
    assert match_use(dataset, use(end_date=datetime.date(2028, 1, 1)))["unmet"] == ["TS"]
    assert match_use(dataset, use(end_date=datetime.date(2027, 12, 31)))["permitted"] is True


def test_a_time_limit_without_ts_implies_ts() -> None:
    dataset = scope("GRU", time_limit=datetime.date(2026, 1, 1))
    result = match_use(dataset, use())
    assert result["unmet"] == ["TS"]
    assert term(result, "TS")["implied"] is True
    assert "implied" in term(result, "TS")["reason"]["en"]


def test_countries_without_gs_imply_gs() -> None:
    assert match_use(scope("GRU", countries=("JP",)), use(country="US"))["unmet"] == ["GS"]


def test_mor_is_an_obligation_until_its_date() -> None:
    result = match_use(scope("GRU", "MOR", moratorium=datetime.date(2027, 6, 30)), use())
    assert result["permitted"] is True
    assert result["obligations"] == ["MOR"]
    assert "2027-06-30" in term(result, "MOR")["reason"]["en"]


def test_mor_binds_no_one_once_its_date_has_passed() -> None:
    result = match_use(scope("GRU", "MOR", moratorium=datetime.date(2026, 1, 1)), use())
    assert result["obligations"] == []
    assert term(result, "MOR")["status"] == "met"


def test_pub_is_an_obligation() -> None:
    assert match_use(scope("GRU", "PUB"), use())["obligations"] == ["PUB"]


def test_col_is_an_obligation() -> None:
    assert match_use(scope("GRU", "COL"), use())["obligations"] == ["COL"]


def test_rtn_is_an_obligation() -> None:
    assert match_use(scope("GRU", "RTN"), use())["obligations"] == ["RTN"]


def test_us_refuses_users_outside_the_approved_list() -> None:
    dataset = scope("GRU", "US", users=("alice", "bob"))
    assert match_use(dataset, use(users=("alice",)))["permitted"] is True
    assert match_use(dataset, use(users=("alice", "carol")))["unmet"] == ["US"]
    assert match_use(dataset, use(users=()))["unmet"] == ["US"]


def test_us_without_a_list_is_left_to_the_committee_as_an_obligation() -> None:
    assert match_use(scope("GRU", "US"), use())["obligations"] == ["US"]


def test_ps_refuses_another_project() -> None:
    dataset = scope("GRU", "PS", projects=("P-1",))
    assert match_use(dataset, use(project="P-1"))["permitted"] is True
    assert match_use(dataset, use(project="P-2"))["unmet"] == ["PS"]
    assert match_use(dataset, use(project=None))["unmet"] == ["PS"]
    assert match_use(scope("GRU", "PS"), use())["obligations"] == ["PS"]


def test_is_refuses_another_institution() -> None:
    dataset = scope("GRU", "IS", institutions=("Kyoto",))
    assert match_use(dataset, use(institution="Kyoto"))["permitted"] is True
    assert match_use(dataset, use(institution="Osaka"))["unmet"] == ["IS"]
    assert match_use(scope("GRU", "IS"), use())["obligations"] == ["IS"]


def test_gso_refuses_a_study_that_is_not_genetic() -> None:
    assert match_use(scope("GRU", "GSO"), use(genetic_study=False))["unmet"] == ["GSO"]
    assert match_use(scope("GRU", "GSO"), use(genetic_study=True))["permitted"] is True


def test_nmds_refuses_methods_development() -> None:
    assert match_use(scope("HMB", "NMDS"), use(methods_development=True))["unmet"] == ["NMDS"]
    assert match_use(scope("HMB", "NMDS"), use(methods_development=False))["permitted"] is True


def test_cc_permits_clinical_care_use() -> None:
    result = match_use(scope("HMB", "CC"), use(clinical_care=True))
    assert result["permitted"] is True
    assert term(result, "CC")["status"] == "met"


def test_rs_is_left_to_the_committee_as_an_obligation() -> None:
    assert match_use(scope("GRU", "RS"), use())["obligations"] == ["RS"]


def test_every_unmet_term_is_listed_in_term_order() -> None:
    dataset = scope("HMB", "IRB", "NCU", "GS", countries=("JP",))
    result = match_use(dataset, use(purpose="POA", ethics_approval=False, commercial=True, country="US"))
    assert result["unmet"] == ["HMB", "IRB", "NCU", "GS"]


# --- reasons ----------------------------------------------------------------------------


def test_every_code_the_matcher_handles_has_its_duo_id() -> None:
    handled = {m.value for m in Permission} | {m.value for m in Modifier}
    assert handled == set(CODES)
    for code in CODES.values():
        assert re.fullmatch(r"DUO:\d{7}", code.duo_id), code
    assert CODES["GRU"].duo_id == "DUO:0000042"
    assert CODES["NPU"].duo_id == "DUO:0000045"
    assert CODES["NCU"].duo_id == "DUO:0000046"
    assert len({c.duo_id for c in CODES.values()}) == len(CODES)


def test_each_reason_names_its_code_and_duo_id_in_both_languages() -> None:
    result = match_use(scope("HMB", "NPU", "PUB", "TS", time_limit=DAY), use())
    assert result["duo_release"] == DUO_RELEASE
    for t in result["terms"]:
        assert t["reason"]["rule_id"] == t["duo_id"]
        assert t["reason"]["en"].startswith(f"{t['code']} ({t['duo_id']}, ")
        assert t["reason"]["ja"].startswith(f"{t['code']}（{t['duo_id']}、")
    assert summary(result, "ja")["reasons"][0].startswith("HMB（DUO:0000006、保健・医療・生物医学研究）")


# --- invalid input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dataset", "request_", "field"),
    [
        (scope("XYZ"), use(), "dataset.permission"),
        (scope("GRU", "NPX"), use(), "dataset.modifiers[0]"),
        (scope("GRU", "HMB"), use(), "dataset.modifiers[0]"),
        (scope("GRU", "IRB", "IRB"), use(), "dataset.modifiers[1]"),
        (scope("DS"), use(), "dataset.diseases"),
        (scope("HMB", diseases=(DIABETES,)), use(), "dataset.diseases"),
        (scope("DS", diseases=("diabetes",)), use(), "dataset.diseases[0]"),
        (scope("GRU", "GS"), use(), "dataset.countries"),
        (scope("GRU", "GS", countries=("Japan",)), use(), "dataset.countries[0]"),
        (scope("GRU", "TS"), use(), "dataset.time_limit"),
        (scope("GRU", "MOR"), use(), "dataset.moratorium"),
        (scope(), use(purpose="NRES"), "request.purpose"),
        (scope(), use(purpose="DS"), "request.diseases"),
        (scope(), use(purpose="HMB", diseases=(DIABETES,)), "request.diseases"),
        (scope(), use(country="jp"), "request.country"),
        (scope(), use(end_date=datetime.date(2026, 1, 1)), "request.end_date"),
        (scope(), use(date=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)), "request.date"),
    ],
)
def test_invalid_scope_or_use_is_refused_naming_the_field(
    dataset: DataUseScope, request_: IntendedUse, field: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        match_use(dataset, request_)
    assert raised.value.field == field


def test_the_json_form_parses_into_the_dataclasses() -> None:
    dataset, request = parse_match_input(ISSUE_EXAMPLE)
    assert dataset == DataUseScope(
        permission="HMB",
        modifiers=("NPU", "GS", "IRB"),
        countries=("JP",),
        time_limit=datetime.date(2027, 12, 31),
    )
    assert request.date == DAY
    assert request.diseases == ("MONDO:0004992",)
    assert request.not_for_profit is None


def test_a_request_without_a_date_is_dated_today() -> None:
    data = {"dataset": ISSUE_EXAMPLE["dataset"], "request": {**ISSUE_EXAMPLE["request"]}}
    del data["request"]["date"]
    _, request = parse_match_input(data, today=datetime.date(2028, 1, 1))
    assert request.date == datetime.date(2028, 1, 1)
    assert match_use_json(data, today=datetime.date(2028, 1, 1))["unmet"] == ["TS"]


# --- any input: a verdict or InvalidInput, nothing else -----------------------------------

CODE_VALUES = st.sampled_from([*CODES, "XYZ", ""]) | st.text(max_size=4)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
FIELD_VALUES = st.one_of(
    CODE_VALUES,
    st.lists(CODE_VALUES, max_size=4),
    st.sampled_from(["2026-12-01", "2027-02-30", "JP", "US", "MONDO:0004992", ["JP"], ["MONDO:0004992"]]),
    JSON_VALUES,
)
FAST = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


# Mostly well-formed: the required fields are usually there, so verdicts are reached too.
BASE_DATASET = st.fixed_dictionaries({"permission": st.sampled_from([m.value for m in Permission])})
BASE_REQUEST = st.fixed_dictionaries(
    {"purpose": st.sampled_from(["GRU", "HMB", "POA"]), "commercial": st.booleans(), "country": st.just("JP")}
)


@FAST
@given(
    base_dataset=BASE_DATASET,
    base_request=BASE_REQUEST,
    dataset=st.dictionaries(st.sampled_from(sorted(DATASET_KEYS)), FIELD_VALUES, max_size=3),
    request=st.dictionaries(st.sampled_from(sorted(REQUEST_KEYS)), FIELD_VALUES, max_size=3),
)
def test_any_input_gives_a_verdict_or_invalid_input(
    base_dataset: dict[str, Any], base_request: dict[str, Any], dataset: dict[str, Any], request: dict[str, Any]
) -> None:
    dataset = {**base_dataset, **dataset}
    request = {**base_request, **request}
    refusal: InvalidInput | None = None
    try:
        result = match_use_json({"dataset": dataset, "request": request}, today=DAY)
    except InvalidInput as error:
        refusal = error
    if refusal is not None:
        assert refusal.message.startswith(refusal.field)
    else:
        assert result["permitted"] is (not result["unmet"])
        assert len(result["reasons"]) >= 1
