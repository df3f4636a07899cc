"""The Japanese consent decision (REGULATORY.md section 2, JP-IC-01..12): the table walks
every branch of the decision; the tests below it check the reasons each branch gives."""

from typing import Any

import pytest

from research_governance.rules import assess_study

from .support import current, en_texts, study, with_params

W, ORAL, A = "written_ic", "oral_ic_with_record", "appropriate_consent"
OPT, ANON, BROAD, PSEUDO, NONE = (
    "opt_out",
    "anonymously_processed",
    "broad_consent_with_notice",
    "pseudonymised_with_notice",
    "no_consent_exception",
)
US_RECIPIENT = [{"country": "US", "equivalent_measures": False}]

# (id naming the rule, facts changed from the base study, expected consent.allowed exactly)
TABLE: list[tuple[str, dict[str, Any], list[str]]] = [
    # JP-IC-01: new acquisition with invasiveness, minor included, allows written IC only.
    ("JP-IC-01-new-invasive", {"invasiveness": "invasive"}, [W]),
    ("JP-IC-01-new-minor-invasiveness-counts-as-invasive", {"invasiveness": "minor"}, [W]),
    (
        "JP-IC-01-no-other-fact-relaxes-written-ic",
        {
            "invasiveness": "minor",
            "uses_samples": True,
            "special_care_personal_info": True,
            "deidentification": "aggregate",
            "consent_obtainable": False,
            "personally_referable": True,
        },
        [W],
    ),
    # JP-IC-02: no invasiveness, interventional.
    ("JP-IC-02-new-no-invasiveness-interventional", {"interventional": True}, [W, ORAL]),
    (
        "JP-IC-02-intervention-decides-before-samples-and-special-care",
        {"interventional": True, "uses_samples": True, "special_care_personal_info": True},
        [W, ORAL],
    ),
    # JP-IC-03: no invasiveness, not interventional, samples.
    ("JP-IC-03-new-samples", {"uses_samples": True}, [W, ORAL]),
    (
        "JP-IC-03-samples-decide-before-special-care",
        {"uses_samples": True, "special_care_personal_info": True},
        [W, ORAL],
    ),
    # JP-IC-04: information only with special-care personal information: no opt-out.
    ("JP-IC-04-info-only-special-care", {"special_care_personal_info": True}, [W, ORAL, A]),
    (
        "JP-IC-04-consent-hard-to-obtain-still-no-opt-out",
        {"special_care_personal_info": True, "consent_obtainable": False},
        [W, ORAL, A],
    ),
    # JP-IC-05: information only without special-care personal information.
    ("JP-IC-05-info-only-no-special-care", {}, [W, ORAL, A, OPT]),
    ("JP-IC-05-with-JP-IC-09-foreign-recipient-loses-opt-out", {"foreign_recipients": US_RECIPIENT}, [W, ORAL, A]),
    (
        "JP-IC-05-with-JP-IC-09-designated-country-keeps-opt-out",
        {"foreign_recipients": [{"country": "DE", "equivalent_measures": False}]},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-05-with-JP-IC-09-equivalent-measures-keeps-opt-out",
        {"foreign_recipients": [{"country": "US", "equivalent_measures": True}]},
        [W, ORAL, A, OPT],
    ),
    # JP-IC-06: existing samples held at this institution.
    ("JP-IC-06-existing-samples", {"acquisition": "existing_own", "uses_samples": True}, [W, ORAL]),
    (
        "JP-IC-06-existing-samples-non-identifiable-but-consent-obtainable",
        {"acquisition": "existing_own", "uses_samples": True, "deidentification": "non_identifiable"},
        [W, ORAL],
    ),
    (
        "JP-IC-06-unverified-exception-identifiable-opt-out-only",
        {"acquisition": "existing_own", "uses_samples": True, "consent_obtainable": False},
        [W, ORAL, OPT],
    ),
    (
        "JP-IC-06-unverified-exception-pseudonymised-is-identifiable",
        {
            "acquisition": "existing_own",
            "uses_samples": True,
            "consent_obtainable": False,
            "deidentification": "pseudonymised",
        },
        [W, ORAL, OPT],
    ),
    (
        "JP-IC-06-unverified-exception-non-identifiable",
        {
            "acquisition": "existing_own",
            "uses_samples": True,
            "consent_obtainable": False,
            "deidentification": "non_identifiable",
        },
        [W, ORAL, OPT, NONE],
    ),
    (
        "JP-IC-06-unverified-exception-aggregate",
        {
            "acquisition": "existing_own",
            "uses_samples": True,
            "consent_obtainable": False,
            "deidentification": "aggregate",
        },
        [W, ORAL, OPT, NONE],
    ),
    (
        "JP-IC-06-unverified-exception-removed-by-JP-IC-09",
        {
            "acquisition": "existing_own",
            "uses_samples": True,
            "consent_obtainable": False,
            "deidentification": "anonymously_processed",
            "foreign_recipients": US_RECIPIENT,
        },
        [W, ORAL],
    ),
    # JP-IC-07: existing information only, held at this institution.
    ("JP-IC-07-existing-info-identified", {"acquisition": "existing_own"}, [W, ORAL, A, OPT, BROAD]),
    (
        "JP-IC-07-existing-info-non-identifiable",
        {"acquisition": "existing_own", "deidentification": "non_identifiable"},
        [W, ORAL, A, OPT, BROAD],
    ),
    (
        "JP-IC-07-existing-info-anonymously-processed",
        {"acquisition": "existing_own", "deidentification": "anonymously_processed"},
        [W, ORAL, A, OPT, ANON, BROAD],
    ),
    (
        "JP-IC-07-existing-info-pseudonymised",
        {"acquisition": "existing_own", "deidentification": "pseudonymised"},
        [W, ORAL, A, OPT, BROAD, PSEUDO],
    ),
    (
        "JP-IC-07-special-care-does-not-change-existing-info",
        {"acquisition": "existing_own", "special_care_personal_info": True, "consent_obtainable": False},
        [W, ORAL, A, OPT, BROAD],
    ),
    (
        "JP-IC-07-with-JP-IC-09-foreign-recipient-loses-opt-out",
        {
            "acquisition": "existing_own",
            "deidentification": "anonymously_processed",
            "foreign_recipients": US_RECIPIENT,
        },
        [W, ORAL, A, ANON, BROAD],
    ),
    # JP-IC-08: providing existing samples/information to another institution.
    ("JP-IC-08-provide-default", {"acquisition": "provide_to_other"}, [W, ORAL, A, OPT]),
    (
        "JP-IC-08-consent-hard-but-identified-no-ground",
        {"acquisition": "provide_to_other", "consent_obtainable": False},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-08-a-non-identifiable-samples",
        {
            "acquisition": "provide_to_other",
            "uses_samples": True,
            "deidentification": "non_identifiable",
            "consent_obtainable": False,
        },
        [W, ORAL, A, OPT, NONE],
    ),
    (
        "JP-IC-08-a-aggregate-samples",
        {
            "acquisition": "provide_to_other",
            "uses_samples": True,
            "deidentification": "aggregate",
            "consent_obtainable": False,
        },
        [W, ORAL, A, OPT, NONE],
    ),
    (
        "JP-IC-08-a-needs-consent-hard-to-obtain",
        {"acquisition": "provide_to_other", "uses_samples": True, "deidentification": "non_identifiable"},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-08-a-is-for-samples-not-information",
        {"acquisition": "provide_to_other", "deidentification": "non_identifiable", "consent_obtainable": False},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-08-b-anonymously-processed-information",
        {"acquisition": "provide_to_other", "deidentification": "anonymously_processed", "consent_obtainable": False},
        [W, ORAL, A, OPT, NONE],
    ),
    (
        "JP-IC-08-b-needs-consent-hard-to-obtain",
        {"acquisition": "provide_to_other", "deidentification": "anonymously_processed"},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-08-c-personally-referable",
        {"acquisition": "provide_to_other", "personally_referable": True, "consent_obtainable": False},
        [W, ORAL, A, OPT, NONE],
    ),
    (
        "JP-IC-08-c-needs-consent-hard-to-obtain",
        {"acquisition": "provide_to_other", "personally_referable": True},
        [W, ORAL, A, OPT],
    ),
    (
        "JP-IC-08-pseudonymised-never-without-consent",
        {"acquisition": "provide_to_other", "deidentification": "pseudonymised"},
        [W, ORAL, A],
    ),
    (
        "JP-IC-08-pseudonymised-beats-personally-referable",
        {
            "acquisition": "provide_to_other",
            "deidentification": "pseudonymised",
            "personally_referable": True,
            "consent_obtainable": False,
        },
        [W, ORAL, A],
    ),
    (
        "JP-IC-08-with-JP-IC-09-foreign-recipient-needs-consent",
        {
            "acquisition": "provide_to_other",
            "deidentification": "anonymously_processed",
            "consent_obtainable": False,
            "foreign_recipients": US_RECIPIENT,
        },
        [W, ORAL, A],
    ),
    (
        "JP-IC-08-with-JP-IC-09-uk-recipient-changes-nothing",
        {
            "acquisition": "provide_to_other",
            "deidentification": "anonymously_processed",
            "consent_obtainable": False,
            "foreign_recipients": [{"country": "GB"}],
        },
        [W, ORAL, A, OPT, NONE],
    ),
    (
        "JP-IC-08-with-JP-IC-09-one-undesignated-recipient-among-several-decides",
        {
            "acquisition": "provide_to_other",
            "deidentification": "anonymously_processed",
            "consent_obtainable": False,
            "foreign_recipients": [
                {"country": "FR"},
                {"country": "CN"},
                {"country": "US", "equivalent_measures": True},
            ],
        },
        [W, ORAL, A],
    ),
]


@pytest.mark.parametrize(("row_id", "changes", "allowed"), TABLE, ids=[row[0] for row in TABLE])
def test_the_jp_consent_table_gives_exactly_the_allowed_procedures(
    row_id: str, changes: dict[str, Any], allowed: list[str]
) -> None:
    consent = assess_study(study(**changes))["consent"]
    assert consent["allowed"] == allowed
    # The row's id starts with the case rule (JP-IC-01..08) the engine says it applied.
    assert row_id.startswith(consent["case_rule_id"] + "-")
    assert consent["case_rule_id"] in consent["rule_ids"]


def test_jp_ic_01_says_electronic_ic_counts_as_written() -> None:
    consent = assess_study(study(invasiveness="invasive"))["consent"]
    assert consent["case_rule_id"] == "JP-IC-01"
    assert any("electronic IC counts as written" in text for text in en_texts(consent, "JP-IC-01"))
    assert any("電磁的方法" in r["ja"] for r in consent["reasons"])


def test_jp_ic_01_says_minor_invasiveness_counts_as_invasive() -> None:
    consent = assess_study(study(invasiveness="minor"))["consent"]
    assert any("minor invasiveness" in text for text in en_texts(consent, "JP-IC-01"))
    assert any("軽微な侵襲" in r["ja"] for r in consent["reasons"])


def test_jp_ic_02_and_03_ask_for_a_record_of_oral_consent() -> None:
    for changes, rule in (({"interventional": True}, "JP-IC-02"), ({"uses_samples": True}, "JP-IC-03")):
        consent = assess_study(study(**changes))["consent"]
        assert consent["case_rule_id"] == rule
        assert any("record" in text for text in en_texts(consent, rule))


def test_jp_ic_04_offers_the_unverified_exception_only_as_a_committee_decision() -> None:
    consent = assess_study(study(special_care_personal_info=True))["consent"]
    assert consent["exception_possible"] is True
    assert "no_consent_exception" not in consent["allowed"]
    assert "opt_out" not in consent["allowed"]
    texts = en_texts(consent, "JP-IC-04")
    assert any("opt-out is not allowed" in t for t in texts)
    exception = [t for t in texts if "exception" in t]
    assert exception
    assert "UNVERIFIED" in exception[0]
    assert "committee must approve" in exception[0]
    assert any("未検証" in r["ja"] and "要配慮個人情報" not in r["ja"] for r in consent["reasons"])


def test_jp_ic_04_exception_can_be_switched_off_in_the_rulebook() -> None:
    book = with_params(current(), "JP-IC-04", exception_enabled=False)
    consent = assess_study(study(special_care_personal_info=True), rulebook=book)["consent"]
    assert consent["exception_possible"] is False
    assert consent["allowed"] == [W, ORAL, A]


def test_other_cases_have_no_exception_outside_the_allowed_list() -> None:
    for changes in ({}, {"invasiveness": "invasive"}, {"acquisition": "existing_own"}):
        assert assess_study(study(**changes))["consent"]["exception_possible"] is False


def test_jp_ic_05_uses_the_guideline_terms_in_japanese() -> None:
    consent = assess_study(study())["consent"]
    ja = " ".join(r["ja"] for r in consent["reasons"])
    assert "インフォームド・コンセント" in ja
    assert "適切な同意" in ja
    assert "オプトアウト" in ja
    assert "要配慮個人情報" in ja


def test_jp_ic_06_exceptions_are_flagged_unverified() -> None:
    facts = study(acquisition="existing_own", uses_samples=True, consent_obtainable=False, deidentification="aggregate")
    consent = assess_study(facts)["consent"]
    exceptions = [t for t in en_texts(consent, "JP-IC-06") if "exception" in t]
    assert len(exceptions) == 2
    assert all("UNVERIFIED" in t and "committee decides" in t for t in exceptions)
    assert all("未検証" in r["ja"] for r in consent["reasons"] if "exception" in r["en"])


def test_jp_ic_06_exceptions_can_be_switched_off_in_the_rulebook() -> None:
    book = with_params(current(), "JP-IC-06", exceptions_enabled=False)
    facts = study(acquisition="existing_own", uses_samples=True, consent_obtainable=False, deidentification="aggregate")
    assert assess_study(facts, rulebook=book)["consent"]["allowed"] == [W, ORAL]


def test_jp_ic_07_explains_anonymously_and_pseudonymously_processed_information() -> None:
    anonymous = assess_study(study(acquisition="existing_own", deidentification="anonymously_processed"))["consent"]
    assert any("匿名加工情報" in r["ja"] for r in anonymous["reasons"])
    pseudonymous = assess_study(study(acquisition="existing_own", deidentification="pseudonymised"))["consent"]
    assert any("仮名加工情報" in r["ja"] for r in pseudonymous["reasons"])


def test_jp_ic_08_opt_out_is_allowed_with_an_unverified_special_reason() -> None:
    consent = assess_study(study(acquisition="provide_to_other"))["consent"]
    opt_out = [t for t in en_texts(consent, "JP-IC-08") if "Opt-out" in t]
    assert opt_out
    assert "UNVERIFIED" in opt_out[0]
    assert "special reason" in opt_out[0]


def test_jp_ic_08_opt_out_can_be_switched_off_in_the_rulebook() -> None:
    book = with_params(current(), "JP-IC-08", opt_out_enabled=False)
    assert assess_study(study(acquisition="provide_to_other"), rulebook=book)["consent"]["allowed"] == [W, ORAL, A]


def test_jp_ic_08_without_consent_is_reported_to_the_head() -> None:
    facts = study(acquisition="provide_to_other", deidentification="anonymously_processed", consent_obtainable=False)
    consent = assess_study(facts)["consent"]
    assert any("(b)" in t and "head of the providing institution" in t for t in en_texts(consent, "JP-IC-08"))


def test_jp_ic_08_pseudonymised_data_cite_the_appi_third_party_ban() -> None:
    facts = study(acquisition="provide_to_other", deidentification="pseudonymised")
    consent = assess_study(facts)["consent"]
    ban = [r for r in consent["reasons"] if "third party" in r["en"]]
    assert len(ban) == 1
    assert ban[0]["rule_id"] == "JP-IC-08"
    assert "APPI" in ban[0]["en"]
    assert "section 4" in ban[0]["en"]
    assert "仮名加工情報" in ban[0]["ja"]
    assert "第三者" in ban[0]["ja"]


def test_jp_ic_09_says_what_it_removed_and_why() -> None:
    consent = assess_study(study(foreign_recipients=US_RECIPIENT))["consent"]
    assert {"JP-IC-09", "XB-01"} <= set(consent["rule_ids"])
    text = en_texts(consent, "JP-IC-09")[0]
    assert "US" in text
    assert "country's name" in text
    assert "opt-out" in text
    assert "not allowed" in text


def test_jp_ic_10_and_12_come_with_opt_out() -> None:
    consent = assess_study(study())["consent"]
    assert {"JP-IC-10", "JP-IC-12"} <= set(consent["rule_ids"])
    without_opt_out = assess_study(study(invasiveness="invasive"))["consent"]
    assert "JP-IC-10" not in without_opt_out["rule_ids"]
    assert "JP-IC-12" not in without_opt_out["rule_ids"]


def test_jp_ic_12_provision_record_comes_with_provision_to_others() -> None:
    consent = assess_study(study(acquisition="provide_to_other", deidentification="pseudonymised"))["consent"]
    assert any("provision record" in t for t in en_texts(consent, "JP-IC-12"))


def test_allowed_is_always_in_canonical_order() -> None:
    order = [W, ORAL, A, OPT, ANON, BROAD, PSEUDO, NONE]
    for _, _, allowed in TABLE:
        assert allowed == sorted(allowed, key=order.index)
