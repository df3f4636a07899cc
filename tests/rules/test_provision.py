"""Provision checks (JP-IC-08, the pseudonymised-information ban, JP-IC-09, XB-01, XB-02,
the approval) and the combined DUO + provision assessment."""

import datetime
from dataclasses import replace
from typing import Any

import pytest

from research_governance.rules import InvalidInput
from research_governance.rules.duo import DataUseScope, IntendedUse
from research_governance.rules.provision import (
    APPROVAL_ACTIVE,
    EEA_TRANSFER,
    FOREIGN_APPI,
    FOREIGN_CONSENT,
    PROVISION_CONSENT,
    PROVISION_RECORD,
    PSEUDONYMISED,
    SHARED_LEVEL,
    Check,
    DatasetFacts,
    RequestFacts,
    assess_access,
    check_provision,
)

from .support import current, with_params


def dataset(**changes: Any) -> DatasetFacts:
    """Consented, identified data held under an active approval, JP rule set."""
    return replace(
        DatasetFacts(deidentification="identified", consent_to_provision=True, approval_active=True), **changes
    )


def request(**changes: Any) -> RequestFacts:
    """A third party in Japan receiving the data non-identifiable."""
    return replace(RequestFacts(third_party=True, country="JP", deidentification="non_identifiable"), **changes)


def check(checks: list[Check], check_id: str) -> Check:
    (found,) = [c for c in checks if c["id"] == check_id]
    return found


def failed(checks: list[Check]) -> list[str]:
    return [c["id"] for c in checks if not c["passed"]]


def test_a_consented_domestic_provision_passes_every_check() -> None:
    checks = check_provision(dataset(), request())
    assert failed(checks) == []
    assert [c["id"] for c in checks] == [
        APPROVAL_ACTIVE,
        SHARED_LEVEL,
        PSEUDONYMISED,
        PROVISION_CONSENT,
        FOREIGN_CONSENT,
        FOREIGN_APPI,
        EEA_TRANSFER,
        PROVISION_RECORD,
    ]
    for c in checks:
        assert c["reason"]["rule_id"] == c["rule_id"]
        assert c["reason"]["en"]
        assert c["reason"]["ja"]


# --- the approval ---------------------------------------------------------------------------


def test_a_dataset_whose_approval_is_not_active_cannot_be_provided() -> None:
    result = check(check_provision(dataset(approval_active=False), request()), APPROVAL_ACTIVE)
    assert result["passed"] is False
    assert result["rule_id"] == "JP-ERC-13"
    us = check(check_provision(dataset(approval_active=False, rule_set="US"), request(country="US")), APPROVAL_ACTIVE)
    assert (us["passed"], us["rule_id"]) == (False, "US-IRB-07")


# --- JP-IC-08 -----------------------------------------------------------------------------


def test_jp_ic_08_the_level_shared_cannot_be_more_identifying_than_the_datasets() -> None:
    checks = check_provision(dataset(deidentification="non_identifiable"), request(deidentification="identified"))
    result = check(checks, SHARED_LEVEL)
    assert (result["passed"], result["rule_id"]) == (False, "JP-IC-08")
    less = check_provision(dataset(deidentification="pseudonymised"), request(deidentification="aggregate"))
    assert check(less, SHARED_LEVEL)["passed"] is True


def test_jp_ic_08_consent_to_provision_allows_identified_data() -> None:
    checks = check_provision(dataset(), request(deidentification="identified"))
    assert check(checks, PROVISION_CONSENT)["passed"] is True
    assert "consented" in check(checks, PROVISION_CONSENT)["reason"]["en"]


def test_jp_ic_08_without_consent_identified_data_are_refused() -> None:
    checks = check_provision(
        dataset(consent_to_provision=False, consent_obtainable=False), request(deidentification="identified")
    )
    result = check(checks, PROVISION_CONSENT)
    assert (result["passed"], result["rule_id"]) == (False, "JP-IC-08")
    assert failed(checks) == [PROVISION_CONSENT]


def test_jp_ic_08_a_non_identifiable_data_without_consent_when_consent_is_hard_to_get() -> None:
    facts = dataset(consent_to_provision=False, consent_obtainable=False)
    result = check(check_provision(facts, request(deidentification="non_identifiable")), PROVISION_CONSENT)
    assert result["passed"] is True
    assert "(a)" in result["reason"]["en"]
    assert "head of this institution" in result["reason"]["en"]


def test_jp_ic_08_a_and_b_need_consent_to_be_hard_to_get() -> None:
    facts = dataset(consent_to_provision=False, consent_obtainable=True)
    result = check(check_provision(facts, request(deidentification="anonymously_processed")), PROVISION_CONSENT)
    assert result["passed"] is False
    assert "consent can still be obtained" in result["reason"]["en"]


def test_jp_ic_08_b_anonymously_processed_information_without_consent() -> None:
    facts = dataset(consent_to_provision=False, consent_obtainable=False)
    result = check(check_provision(facts, request(deidentification="anonymously_processed")), PROVISION_CONSENT)
    assert result["passed"] is True
    assert "(b)" in result["reason"]["en"]


def test_jp_ic_08_c_personally_referable_information_without_consent() -> None:
    facts = dataset(consent_to_provision=False, personally_referable=True, deidentification="pseudonymised")
    result = check(check_provision(facts, request(deidentification="non_identifiable")), PROVISION_CONSENT)
    assert result["passed"] is True
    assert "(c)" in result["reason"]["en"]


def test_jp_ic_08_opt_out_with_notice_is_unverified_and_switchable() -> None:
    facts = dataset(consent_to_provision=False, opt_out_notice=True)
    on = check(check_provision(facts, request(deidentification="identified")), PROVISION_CONSENT)
    assert on["passed"] is True
    assert "UNVERIFIED" in on["reason"]["en"]
    book = with_params(current(), "JP-IC-08", opt_out_enabled=False)
    off = check(check_provision(facts, request(deidentification="identified"), rulebook=book), PROVISION_CONSENT)
    assert off["passed"] is False


def test_jp_ic_08_within_the_same_institution_nothing_is_provided() -> None:
    facts = dataset(consent_to_provision=False, deidentification="pseudonymised")
    checks = check_provision(facts, request(third_party=False, deidentification="pseudonymised"))
    assert failed(checks) == []
    assert PROVISION_RECORD not in [c["id"] for c in checks]


def test_jp_ic_08_a_third_party_provision_owes_a_provision_record() -> None:
    result = check(check_provision(dataset(), request()), PROVISION_RECORD)
    assert (result["passed"], result["obligation"], result["rule_id"]) == (True, True, "JP-IC-12")


# --- pseudonymously processed information -------------------------------------------------


def test_jp_ic_08_pseudonymised_information_is_never_provided_to_a_third_party_even_with_consent() -> None:
    checks = check_provision(dataset(deidentification="pseudonymised"), request(deidentification="pseudonymised"))
    result = check(checks, PSEUDONYMISED)
    assert (result["passed"], result["rule_id"]) == (False, "JP-IC-08")
    assert "仮名加工情報" in result["reason"]["en"]
    assert failed(checks) == [PSEUDONYMISED]


def test_pseudonymised_data_may_go_out_once_made_non_identifiable() -> None:
    checks = check_provision(dataset(deidentification="pseudonymised"), request(deidentification="non_identifiable"))
    assert check(checks, PSEUDONYMISED)["passed"] is True


# --- JP-IC-09 / XB-01 ---------------------------------------------------------------------


def test_jp_ic_09_and_xb_01_a_designated_country_needs_no_extra_consent() -> None:
    checks = check_provision(dataset(), request(country="DE"))
    for check_id, rule_id in ((FOREIGN_CONSENT, "JP-IC-09"), (FOREIGN_APPI, "XB-01")):
        result = check(checks, check_id)
        assert (result["passed"], result["rule_id"]) == (True, rule_id)
        assert result["list_version"] == current().designated_list.version
        assert "designated" in result["reason"]["en"]


def test_jp_ic_09_and_xb_01_refuse_a_non_designated_country_without_consent_with_information() -> None:
    checks = check_provision(dataset(foreign_provision_consent=False), request(country="US"))
    assert failed(checks) == [FOREIGN_CONSENT, FOREIGN_APPI]
    assert check(checks, FOREIGN_CONSENT)["list_version"] == current().designated_list.version
    assert "not an APPI-designated country" in check(checks, FOREIGN_CONSENT)["reason"]["en"]


def test_jp_ic_09_and_xb_01_consent_with_the_information_allows_a_non_designated_country() -> None:
    checks = check_provision(dataset(foreign_provision_consent=True), request(country="US"))
    assert failed(checks) == []
    assert "gave that consent" in check(checks, FOREIGN_CONSENT)["reason"]["en"]


def test_jp_ic_09_and_xb_01_equivalent_measures_allow_a_non_designated_country() -> None:
    checks = check_provision(dataset(), request(country="SG", equivalent_measures=True))
    assert failed(checks) == []
    assert "equivalent-protection" in check(checks, FOREIGN_CONSENT)["reason"]["en"]


def test_xb_01_does_not_apply_under_the_us_rule_set() -> None:
    checks = check_provision(dataset(rule_set="US"), request(country="CN"))
    assert check(checks, FOREIGN_APPI)["passed"] is True
    assert "US rule set" in check(checks, FOREIGN_APPI)["reason"]["en"]
    assert check(checks, FOREIGN_CONSENT)["passed"] is True


# --- XB-02 ----------------------------------------------------------------------------------


def test_xb_02_eea_data_to_japan_rest_on_the_adequacy_decision() -> None:
    result = check(check_provision(dataset(data_origin_eea=True), request(country="JP")), EEA_TRANSFER)
    assert (result["passed"], result["rule_id"]) == (True, "XB-02")
    assert "2019/419" in result["reason"]["en"]
    assert result["list_version"] == current().adequacy_list.version


def test_xb_02_eea_data_within_the_eea_are_not_a_transfer() -> None:
    result = check(check_provision(dataset(data_origin_eea=True), request(country="FR")), EEA_TRANSFER)
    assert result["passed"] is True
    assert "not a GDPR Chapter V" in result["reason"]["en"]


def test_xb_02_eea_data_to_a_country_without_adequacy_need_sccs_or_explicit_consent() -> None:
    facts = dataset(data_origin_eea=True, foreign_provision_consent=True)
    refused = check(check_provision(facts, request(country="CN")), EEA_TRANSFER)
    assert refused["passed"] is False
    sccs = check(check_provision(facts, request(country="CN", standard_contractual_clauses=True)), EEA_TRANSFER)
    assert sccs["passed"] is True
    assert "Art. 46" in sccs["reason"]["en"]
    consent = check(check_provision(facts, request(country="CN", explicit_consent_art49=True)), EEA_TRANSFER)
    assert consent["passed"] is True
    assert "Art. 49" in consent["reason"]["en"]


def test_xb_02_data_not_from_the_eea_have_no_transfer_requirement() -> None:
    result = check(check_provision(dataset(data_origin_eea=False), request(country="CN")), EEA_TRANSFER)
    assert result["passed"] is True


# --- US rule set ----------------------------------------------------------------------------


def test_under_the_us_rule_set_identifiable_data_without_consent_need_an_irb_waiver() -> None:
    facts = dataset(rule_set="US", consent_to_provision=False)
    refused = check(check_provision(facts, request(country="US", deidentification="identified")), PROVISION_CONSENT)
    assert (refused["passed"], refused["rule_id"]) == (False, "US-IRB-05")
    allowed = check(check_provision(facts, request(country="US")), PROVISION_CONSENT)
    assert allowed["passed"] is True


# --- input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "req", "field"),
    [
        (dataset(deidentification="hashed"), request(), "dataset.deidentification"),
        (dataset(rule_set="EU"), request(), "dataset.rule_set"),
        (dataset(), request(deidentification="secret"), "request.deidentification"),
        (dataset(), request(country="Japan"), "request.country"),
    ],
)
def test_invalid_facts_are_refused_naming_the_field(facts: DatasetFacts, req: RequestFacts, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_provision(facts, req)
    assert raised.value.field == field


# --- DUO + provision --------------------------------------------------------------------------

SCOPE = DataUseScope(permission="HMB", modifiers=("NPU", "GS", "IRB", "PUB"), countries=("JP", "US"))
USE = IntendedUse(purpose="HMB", commercial=False, country="JP", date=datetime.date(2026, 12, 1), ethics_approval=True)


def test_the_assessment_permits_when_the_use_matches_and_every_check_passes() -> None:
    result = assess_access(SCOPE, USE, dataset(), request())
    assert result["permitted"] is True
    assert result["unmet"] == []
    assert result["obligations"] == ["PUB", "JP-IC-12"]
    assert [c["id"] for c in result["checks"]][:5] == ["duo:HMB", "duo:NPU", "duo:GS", "duo:IRB", "duo:PUB"]
    assert check(result["checks"], "duo:PUB")["obligation"] is True
    assert check(result["checks"], "duo:HMB")["rule_id"] == "DUO:0000006"
    assert result["rulebook_version"] == current().version
    assert result["country_list_version"] == current().list_version
    assert result["duo"]["permitted"] is True


def test_the_assessment_lists_duo_terms_and_failed_rules_as_unmet() -> None:
    result = assess_access(
        SCOPE,
        replace(USE, commercial=True, country="US"),
        dataset(deidentification="pseudonymised"),
        request(country="US", deidentification="pseudonymised"),
    )
    assert result["permitted"] is False
    assert result["unmet"] == ["NPU", "JP-IC-08", "JP-IC-09", "XB-01"]


def test_a_lapsed_approval_alone_refuses_a_matching_use() -> None:
    result = assess_access(SCOPE, USE, dataset(approval_active=False), request())
    assert result["permitted"] is False
    assert result["unmet"] == ["JP-ERC-13"]
