"""assess_study beyond the consent table: foreign provision (JP-IC-09, XB-01..03), the
review route (JP-ERC-10, US-IRB-05), obligations (JP-R-01/02/05/06/07, US-IRB-07) and the
US rule set's consent."""

import json

import pytest

from research_governance.rules import assess_study, load_rulebook

from .support import current, en_texts, study, with_params

# --- foreign provision --------------------------------------------------------------------


def test_a_recipient_in_an_appi_designated_country_needs_no_extra_consent_jp_ic_09_xb_01() -> None:
    result = assess_study(study(foreign_recipients=[{"country": "DE"}, {"country": "GB"}, {"country": "NO"}]))
    for verdict in result["foreign_provision"]:
        assert verdict["designated"] is True
        assert verdict["requires_consent_with_information"] is False
        assert verdict["rule_ids"] == ["JP-IC-09", "XB-01"]
        assert verdict["list_version"] == load_rulebook().list_version


def test_a_recipient_with_equivalent_measures_needs_no_extra_consent_jp_ic_09() -> None:
    [verdict] = assess_study(study(foreign_recipients=[{"country": "US", "equivalent_measures": True}]))[
        "foreign_provision"
    ]
    assert verdict["designated"] is False
    assert verdict["requires_consent_with_information"] is False
    assert any("equivalent-protection system" in t for t in en_texts(verdict, "JP-IC-09"))


def test_any_other_recipient_needs_consent_with_the_country_information_jp_ic_09_xb_01() -> None:
    [verdict] = assess_study(study(foreign_recipients=[{"country": "CN"}]))["foreign_provision"]
    assert verdict["requires_consent_with_information"] is True
    [text] = en_texts(verdict, "JP-IC-09")
    for told in ("country's name", "personal-data protection system", "recipient's protection measures"):
        assert told in text
    assert "国の名称" in next(r["ja"] for r in verdict["reasons"] if r["rule_id"] == "JP-IC-09")
    assert en_texts(verdict, "XB-01")


def test_foreign_verdicts_keep_the_input_order() -> None:
    countries = ["US", "FR", "KR", "US"]
    result = assess_study(study(foreign_recipients=[{"country": c} for c in countries]))
    assert [v["country"] for v in result["foreign_provision"]] == countries


def test_a_recipient_in_japan_is_not_foreign_under_the_jp_rule_set() -> None:
    result = assess_study(study(foreign_recipients=[{"country": "JP"}]))
    [verdict] = result["foreign_provision"]
    assert verdict["requires_consent_with_information"] is False
    assert "opt_out" in result["consent"]["allowed"]


def test_the_designated_list_is_the_eu_eea_and_the_uk() -> None:
    book = load_rulebook()
    assert len(book.designated_countries) == 31  # 27 EU + IS, LI, NO + GB
    assert {"GB", "IS", "LI", "NO", "DE", "FR", "GR"} <= book.designated_countries
    assert book.designated_countries == book.eea_countries | {"GB"}
    assert "CH" not in book.designated_countries


def test_data_from_the_eea_leaving_it_needs_a_gdpr_transfer_basis_xb_02() -> None:
    recipients = [{"country": "CN"}, {"country": "JP"}, {"country": "FR"}]
    result = assess_study(study(data_origin_eea=True, foreign_recipients=recipients))
    china, japan, france = result["foreign_provision"]
    assert (china["gdpr_transfer_basis_required"], china["gdpr_adequacy"]) == (True, False)
    assert any("standard contractual clauses" in t for t in en_texts(china, "XB-02"))
    assert (japan["gdpr_transfer_basis_required"], japan["gdpr_adequacy"]) == (True, True)
    [japan_text] = en_texts(japan, "XB-02")
    assert "2019/419" in japan_text
    assert "scope" in japan_text
    assert (france["gdpr_transfer_basis_required"], france["gdpr_adequacy"]) == (False, None)
    assert all("XB-02" in v["rule_ids"] for v in result["foreign_provision"])


def test_data_not_from_the_eea_have_no_gdpr_transfer_requirement_xb_02() -> None:
    [verdict] = assess_study(study(foreign_recipients=[{"country": "CN"}]))["foreign_provision"]
    assert verdict["gdpr_transfer_basis_required"] is False
    assert verdict["gdpr_adequacy"] is None
    assert "XB-02" not in verdict["rule_ids"]


def test_the_adequacy_list_includes_japan_and_is_data_with_a_note() -> None:
    book = load_rulebook()
    assert "JP" in book.adequacy_countries
    assert "data" in book.adequacy_note
    assert book.adequacy_list.version
    assert book.adequacy_list.effective_date <= book.effective_date


def test_special_care_data_from_the_eea_need_a_dpia_xb_03() -> None:
    obligations = assess_study(study(data_origin_eea=True, special_care_personal_info=True))["obligations"]
    assert obligations["dpia_required"] is True
    assert "XB-03" in obligations["rule_ids"]
    assert any("impact assessment" in t for t in en_texts(obligations, "XB-03"))
    for changes in ({"data_origin_eea": True}, {"special_care_personal_info": True}):
        assert assess_study(study(**changes))["obligations"]["dpia_required"] is False


def test_under_the_us_rule_set_the_appi_does_not_apply_to_foreign_recipients() -> None:
    result = assess_study(study(rule_set="US", foreign_recipients=[{"country": "CN"}]))
    [verdict] = result["foreign_provision"]
    assert verdict["requires_consent_with_information"] is False
    assert verdict["rule_ids"] == ["XB-01", "XB-02"]


# --- review route -------------------------------------------------------------------------


def test_multi_site_research_already_approved_may_be_expedited_jp_erc_10_a() -> None:
    review = assess_study(study(invasiveness="invasive", interventional=True, multi_site_already_approved=True))[
        "review"
    ]
    assert review["expedited_eligible"] is True
    assert review["grounds"] == ["multi_site_already_approved"]
    assert review["rests_on_unverified_rule"] is False
    assert any(t.startswith("(a)") for t in en_texts(review, "JP-ERC-10"))


def test_a_minor_change_may_be_expedited_jp_erc_10_b() -> None:
    review = assess_study(study(invasiveness="invasive", interventional=True, minor_change=True))["review"]
    assert review["expedited_eligible"] is True
    assert review["grounds"] == ["minor_change"]
    assert any(t.startswith("(b)") for t in en_texts(review, "JP-ERC-10"))


def test_an_expedited_result_is_reported_to_all_members_jp_erc_10() -> None:
    review = assess_study(study(minor_change=True))["review"]
    assert any("ALL members" in t for t in en_texts(review, "JP-ERC-10"))
    assert any("全ての委員" in r["ja"] for r in review["reasons"])


@pytest.mark.parametrize(
    ("invasiveness", "ground"),
    [("none", "no_invasiveness_no_intervention"), ("minor", "minor_invasiveness_no_intervention")],
    ids=["JP-ERC-10-c", "JP-ERC-10-d"],
)
def test_unverified_grounds_c_and_d_are_marked_and_configurable_jp_erc_10(invasiveness: str, ground: str) -> None:
    review = assess_study(study(invasiveness=invasiveness))["review"]
    assert review["expedited_eligible"] is True
    assert review["grounds"] == [ground]
    assert review["rests_on_unverified_rule"] is True
    assert any("UNVERIFIED" in t and "configurable" in t for t in en_texts(review, "JP-ERC-10"))
    switch = "ground_c_enabled" if invasiveness == "none" else "ground_d_enabled"
    book = with_params(current(), "JP-ERC-10", **{switch: False})
    assert assess_study(study(invasiveness=invasiveness), rulebook=book)["review"]["expedited_eligible"] is False


def test_invasive_or_interventional_research_goes_to_the_full_committee_jp_erc_10() -> None:
    for changes in (
        {"invasiveness": "invasive"},
        {"interventional": True},
        {"invasiveness": "minor", "interventional": True},
    ):
        review = assess_study(study(**changes))["review"]
        assert review["expedited_eligible"] is False
        assert review["grounds"] == []
        assert review["rule_ids"] == ["JP-ERC-10"]


def test_us_minimal_risk_or_minor_change_may_be_expedited_but_never_disapproved_us_irb_05() -> None:
    for changes in (
        {"invasiveness": "minor"},
        {"invasiveness": "invasive", "interventional": True, "minor_change": True},
    ):
        review = assess_study(study(rule_set="US", **changes))["review"]
        assert review["expedited_eligible"] is True
        assert review["rule_ids"] == ["US-IRB-05"]
        assert any("cannot disapprove" in t for t in en_texts(review, "US-IRB-05"))


def test_us_research_that_is_not_minimal_risk_goes_to_the_convened_irb_us_irb_05() -> None:
    review = assess_study(study(rule_set="US", interventional=True))["review"]
    assert review["expedited_eligible"] is False
    assert any("convened IRB" in t for t in en_texts(review, "US-IRB-05"))


# --- obligations --------------------------------------------------------------------------


def test_progress_reports_default_to_twelve_months_jp_r_01() -> None:
    obligations = assess_study(study())["obligations"]
    assert obligations["progress_report_interval_months"] == 12
    assert "JP-R-01" in obligations["rule_ids"]
    book = with_params(current(), "JP-R-01", default_interval_months=6)
    assert assess_study(study(), rulebook=book)["obligations"]["progress_report_interval_months"] == 6


@pytest.mark.parametrize(
    ("invasiveness", "required"),
    [("none", False), ("minor", True), ("invasive", True)],
    ids=["none", "minor", "invasive"],
)
def test_invasive_research_including_minor_needs_an_sae_procedure_jp_r_02(invasiveness: str, required: bool) -> None:
    obligations = assess_study(study(invasiveness=invasiveness))["obligations"]
    assert obligations["sae_procedure_required"] is required
    assert "JP-R-02" in obligations["rule_ids"]
    if invasiveness == "minor":
        assert any("minor invasiveness is treated as invasive" in t for t in en_texts(obligations, "JP-R-02"))


@pytest.mark.parametrize(
    ("invasiveness", "interventional", "required"),
    [("invasive", True, True), ("minor", True, False), ("invasive", False, False), ("none", True, False)],
    ids=["invasive-interventional", "minor-interventional", "invasive-observational", "none-interventional"],
)
def test_monitoring_is_mandatory_only_for_invasive_interventional_research_jp_r_05(
    invasiveness: str, interventional: bool, required: bool
) -> None:
    obligations = assess_study(study(invasiveness=invasiveness, interventional=interventional))["obligations"]
    assert obligations["monitoring_required"] is required
    assert "JP-R-05" in obligations["rule_ids"]


def test_interventional_research_is_registered_before_start_jp_r_06() -> None:
    assert assess_study(study(interventional=True))["obligations"]["registry_before_start"] is True
    obligations = assess_study(study())["obligations"]
    assert obligations["registry_before_start"] is False
    assert "JP-R-06" in obligations["rule_ids"]
    assert any("jRCT" in r["ja"] for r in assess_study(study(interventional=True))["obligations"]["reasons"])


def test_every_jp_study_reports_its_end_jp_r_07() -> None:
    obligations = assess_study(study())["obligations"]
    assert obligations["final_report_required"] is True
    assert "JP-R-07" in obligations["rule_ids"]


def test_us_continuing_review_is_yearly_unless_expedited_eligible_us_irb_07() -> None:
    full = assess_study(study(rule_set="US", interventional=True))["obligations"]
    assert full["continuing_review_required"] is True
    assert full["progress_report_interval_months"] == 12
    expedited = assess_study(study(rule_set="US"))["obligations"]
    assert expedited["continuing_review_required"] is False
    assert any("FDA-regulated" in t for t in en_texts(expedited, "US-IRB-07"))
    for part in (full, expedited):
        assert part["rule_ids"] == ["US-IRB-07", "US-IRB-08"]
        assert part["registry_before_start"] is part["monitoring_required"] is part["sae_procedure_required"] is False


# --- US consent ---------------------------------------------------------------------------


def test_us_identifiable_data_need_written_consent_citing_45_cfr_46_116() -> None:
    consent = assess_study(study(rule_set="US", deidentification="pseudonymised"))["consent"]
    assert consent["allowed"] == ["written_ic"]
    assert consent["rule_ids"] == ["US-IRB-05"]
    assert "45 CFR 46.116" in consent["reasons"][0]["en"]


@pytest.mark.parametrize("level", ["non_identifiable", "anonymously_processed", "aggregate"])
def test_us_non_identifiable_data_may_need_no_consent(level: str) -> None:
    consent = assess_study(study(rule_set="US", deidentification=level, invasiveness="invasive"))["consent"]
    assert consent["allowed"] == ["written_ic", "no_consent_exception"]
    assert "see 45 CFR 46.104 and 46.116" in consent["reasons"][0]["en"]


# --- the whole output ---------------------------------------------------------------------


def test_the_output_is_json_and_names_the_rulebook() -> None:
    result = assess_study(study(foreign_recipients=[{"country": "US"}], data_origin_eea=True))
    assert json.loads(json.dumps(result, ensure_ascii=False)) == result
    assert result["rulebook_version"] == load_rulebook().version
    assert result["rulebook_effective_date"] == load_rulebook().effective_date.isoformat()
    assert result["rule_set"] == "JP"
    assert set(result) >= {"consent", "foreign_provision", "review", "obligations", "rule_set", "rulebook_version"}


# --- workflow rules stated as obligations -------------------------------------------------


def test_a_jp_study_may_start_only_after_the_heads_permission_jp_erc_13() -> None:
    obligations = assess_study(study())["obligations"]
    assert obligations["head_permission_before_start"] is True
    assert "JP-ERC-13" in obligations["rule_ids"]
    assert any("emergency" in text for text in en_texts(obligations, "JP-ERC-13"))


def test_a_centrally_reviewed_multi_site_study_asks_only_its_own_head_jp_erc_12() -> None:
    central = assess_study(study(multi_site_already_approved=True))["obligations"]
    assert central["own_head_permission_only"] is True
    assert "JP-ERC-12" in central["rule_ids"]
    single = assess_study(study())["obligations"]
    assert single["own_head_permission_only"] is False
    assert "JP-ERC-12" not in single["rule_ids"]


def test_participants_may_withdraw_at_any_time_jp_ic_11() -> None:
    obligations = assess_study(study())["obligations"]
    assert obligations["withdrawal_at_any_time"] is True
    assert any("records why" in text for text in en_texts(obligations, "JP-IC-11"))


def test_us_records_are_kept_three_years_with_minutes_of_the_votes_us_irb_08() -> None:
    obligations = assess_study(study(rule_set="US"))["obligations"]
    assert obligations["records_retention_years"] == 3
    assert any("votes" in text for text in en_texts(obligations, "US-IRB-08"))
    assert assess_study(study())["obligations"]["records_retention_years"] is None
