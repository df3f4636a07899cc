"""The automatic checks of a request, with reasons and rule IDs, for every dataset it asks for:
the intended use against the dataset's consent scope (DUO, ``rules.duo``), provision to another
institution (JP-IC-08), the ban on providing pseudonymously processed information to a third
party, foreign recipients (JP-IC-09, XB-01, XB-02) and the dataset's ethics approval
(``rules.provision``).

``assess`` returns a language-neutral verdict (each reason in English and Japanese) that the
request keeps when it is submitted, with the rulebook and country-list versions it used;
``present`` turns it into what a page shows in the reader's language. It is shown to the
requester while they type (unsaved input) and to the committee."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from research_governance.protocols.assessment import rule_set_for
from research_governance.reviews.workflow import ApprovalStatus
from research_governance.rules import duo
from research_governance.rules.errors import InvalidInput
from research_governance.rules.provision import DatasetFacts, RequestFacts, assess_access

from .models import DataAccessRequest, Dataset

# What an obligation code asks of the recipient, in words (DUO codes, then provision rules).
OBLIGATION_TEXTS = {
    "PUB": lambda: _("Make the results public (PUB)."),
    "COL": lambda: _("Collaborate with the study team that provided the data (COL)."),
    "RTN": lambda: _("Return derived or enriched data to the provider (RTN)."),
    "MOR": lambda: _("Do not publish before the moratorium ends (MOR)."),
    "US": lambda: _("Only the approved users may use the data (US)."),
    "PS": lambda: _("Use the data only for the approved project (PS)."),
    "IS": lambda: _("Use the data only at the approved institution (IS)."),
    "JP-IC-12": lambda: _("Keep a provision record of each provision for at least three years (JP-IC-12)."),
}


def _scope(dataset: Dataset) -> duo.DataUseScope:
    return duo.DataUseScope(
        permission=dataset.duo_permission,
        modifiers=tuple(dataset.duo_modifiers),
        diseases=tuple(dataset.duo_diseases),
        countries=tuple(dataset.duo_countries),
        time_limit=dataset.duo_time_limit,
        moratorium=dataset.duo_moratorium_until,
    )


def _use(data_request: DataAccessRequest, today: date) -> duo.IntendedUse:
    return duo.IntendedUse(
        purpose=data_request.purpose or "GRU",
        commercial=data_request.commercial,
        country=data_request.recipient_country or "JP",
        date=data_request.term_start or today,
        end_date=data_request.term_end,
        diseases=tuple(data_request.purpose_diseases or ()),
        ethics_approval=bool(data_request.ethics_approval_reference.strip()),
        methods_development=data_request.methods_development,
        genetic_study=data_request.genetic_study,
        not_for_profit=not data_request.commercial,
        institution=data_request.recipient_institution or None,
    )


def _dataset_facts(dataset: Dataset, rule_set: str) -> DatasetFacts:
    return DatasetFacts(
        deidentification=dataset.deidentification,
        consent_to_provision=dataset.consent_covers_provision,
        approval_active=dataset.approval.status == ApprovalStatus.ACTIVE,
        rule_set=rule_set,
        special_care=dataset.special_care,
        genetic=dataset.genetic,
        personally_referable=dataset.personally_referable,
        foreign_provision_consent=dataset.consent_with_foreign_information,
        data_origin_eea=dataset.eea_origin,
    )


def _request_facts(data_request: DataAccessRequest, dataset: Dataset) -> RequestFacts:
    return RequestFacts(
        third_party=not data_request.recipient_is_provider,
        country=data_request.recipient_country or "JP",
        deidentification=data_request.deidentification_shared or dataset.deidentification,
        equivalent_measures=data_request.equivalent_measures,
        standard_contractual_clauses=data_request.standard_contractual_clauses,
    )


def assess(data_request: DataAccessRequest, datasets: Iterable[Dataset]) -> dict[str, Any]:
    """The verdict over every dataset: permitted only when every check of every dataset passes."""
    today = timezone.localdate()
    checks: list[dict[str, Any]] = []
    unmet: list[str] = []
    obligations: list[str] = []
    versions: dict[str, str] = {}
    for dataset in datasets:
        try:
            verdict = assess_access(
                _scope(dataset),
                _use(data_request, today),
                _dataset_facts(dataset, rule_set_for(dataset.protocol)),
                _request_facts(data_request, dataset),
            )
        except InvalidInput as invalid:
            checks.append(
                {
                    "id": "input",
                    "dataset": dataset.title,
                    "passed": False,
                    "obligation": False,
                    "rule_id": "",
                    "reason": {"rule_id": "", "en": str(invalid), "ja": str(invalid)},
                }
            )
            unmet.append("input")
            continue
        versions = {
            "rulebook_version": verdict["rulebook_version"],
            "country_list_version": verdict["country_list_version"],
            "duo_release": verdict["duo_release"],
        }
        for check in verdict["checks"]:
            checks.append(
                {
                    "id": check["id"],
                    "dataset": dataset.title,
                    "passed": check["passed"],
                    "obligation": check["obligation"],
                    "rule_id": check["rule_id"],
                    "reason": dict(check["reason"]),
                }
            )
        unmet += [code for code in verdict["unmet"] if code not in unmet]
        obligations += [code for code in verdict["obligations"] if code not in obligations]
    return {
        "permitted": bool(checks) and not unmet,
        "checks": checks,
        "unmet": unmet,
        "obligations": obligations,
        "assessed_on": today.isoformat(),
        **versions,
    }


def assess_request(data_request: DataAccessRequest) -> dict[str, Any]:
    return assess(data_request, data_request.datasets.select_related("approval", "protocol"))


def _text(reason: dict[str, str]) -> str:
    language = (get_language() or "en").split("-")[0]
    return reason.get(language) or reason.get("en", "")


def present(verdict: dict[str, Any] | None) -> dict[str, Any] | None:
    """The verdict as a page shows it: failed checks first, reasons in the reader's language,
    obligations in words. Passing checks that bind nobody are kept, after the others."""
    if not verdict:
        return None
    checks = [{**check, "text": _text(check.get("reason") or {})} for check in verdict.get("checks", [])]
    checks.sort(key=lambda check: (check["passed"], not check.get("obligation")))
    groups: dict[str, list[dict[str, Any]]] = {}
    for check in checks:
        groups.setdefault(check.get("dataset", ""), []).append(check)
    return {
        "permitted": verdict.get("permitted", False),
        "checks": checks,
        "by_dataset": list(groups.items()),
        "unmet": verdict.get("unmet", []),
        "obligations": [
            str(OBLIGATION_TEXTS[code]()) for code in verdict.get("obligations", []) if code in OBLIGATION_TEXTS
        ],
        "obligation_codes": verdict.get("obligations", []),
        "rulebook_version": verdict.get("rulebook_version", ""),
        "country_list_version": verdict.get("country_list_version", ""),
    }
