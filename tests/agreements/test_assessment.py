"""The request's checks over its datasets: the DUO match and the provision rules, per dataset."""

from django.utils import translation

from research_governance.agreements.assessment import assess, present
from research_governance.agreements.models import DataAccessRequest
from research_governance.reviews import services as review_services

from .support import make_dataset, request_data


def unsaved(**overrides):
    return DataAccessRequest(**request_data(**overrides))


def failed(verdict):
    return {check["id"] for check in verdict["checks"] if not check["passed"]}


def test_a_request_within_the_consent_scope_passes_every_check(dataset):
    verdict = assess(unsaved(), [dataset])
    assert verdict["permitted"] is True
    assert failed(verdict) == set()


def test_a_commercial_request_fails_npu_and_the_page_says_why(dataset):
    verdict = assess(unsaved(commercial=True), [dataset])
    assert verdict["permitted"] is False
    assert "NPU" in verdict["unmet"]
    shown = present(verdict)
    first = shown["checks"][0]
    assert first["passed"] is False
    assert "NPU" in first["text"] or "profit" in first["text"]


def test_a_request_without_ethics_approval_fails_irb(dataset):
    verdict = assess(unsaved(ethics_approval_reference=""), [dataset])
    assert "IRB" in verdict["unmet"]


def test_pseudonymised_data_are_never_provided_to_a_third_party_jp_ic_08(approval):
    dataset = make_dataset(approval, deidentification="pseudonymised")
    verdict = assess(unsaved(deidentification_shared="pseudonymised"), [dataset])
    assert verdict["permitted"] is False
    assert "JP-IC-08" in verdict["unmet"]


def test_a_us_recipient_without_consent_or_equivalent_measures_fails_jp_ic_09_xb_01(dataset):
    verdict = assess(unsaved(recipient_country="US"), [dataset])
    assert {"JP-IC-09", "XB-01"} & set(verdict["unmet"])
    assert assess(unsaved(recipient_country="US", equivalent_measures=True), [dataset])["permitted"] is True


def test_eea_origin_data_to_an_indian_recipient_need_sccs_xb_02(approval):
    dataset = make_dataset(approval, eea_origin=True, consent_with_foreign_information=True)
    assert "XB-02" in assess(unsaved(recipient_country="IN"), [dataset])["unmet"]
    assert "XB-02" not in assess(unsaved(recipient_country="IN", standard_contractual_clauses=True), [dataset])["unmet"]


def test_a_dataset_whose_approval_is_suspended_fails_the_approval_check(dataset, secretariat):
    review_services.approval_suspend(approval=dataset.approval, by=secretariat, reasons="Audit finding.")
    dataset.approval.refresh_from_db()
    verdict = assess(unsaved(), [dataset])
    assert verdict["permitted"] is False
    assert "approval_active" in failed(verdict)


def test_reasons_are_shown_in_the_reader_s_language(dataset):
    verdict = assess(unsaved(commercial=True), [dataset])
    with translation.override("ja"):
        shown = present(verdict)
    assert any(
        any("\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" for ch in c["text"]) for c in shown["checks"]
    )
