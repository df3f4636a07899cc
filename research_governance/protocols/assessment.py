"""The rules engine's view of a protocol: the study's facts in, the verdict out.

The engine (research_governance.rules) knows nothing of Django; this module turns a
protocol into the engine's input, and the verdict into what the pages show."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import get_language

from research_governance.committees.models import Committee
from research_governance.core.fields import model_field
from research_governance.rules import InvalidInput, StudyAssessment, assess_study

from .models import ConsentProcedure, DataRecipient, Protocol

# The facts the engine needs before it can say anything (REGULATORY.md section 2).
REQUIRED_FACTS = (
    "acquisition",
    "uses_samples",
    "invasiveness",
    "interventional",
    "special_care_personal_info",
    "deidentification",
)
# Electronic IC counts as written IC for the rules (JP-IC-01); its own materials are JP-IC-12's.
ENGINE_PROCEDURE: dict[str, str] = {ConsentProcedure.ELECTRONIC_IC: ConsentProcedure.WRITTEN_IC}


@dataclass
class Assessment:
    """A verdict plus what the page needs to show it."""

    verdict: StudyAssessment | None
    missing_facts: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.verdict is not None

    @property
    def allowed(self) -> list[str]:
        return list(self.verdict["consent"]["allowed"]) if self.verdict else []

    def allows(self, procedure: str) -> bool:
        return ENGINE_PROCEDURE.get(procedure, procedure) in self.allowed


def rule_set_for(protocol: Protocol) -> str:
    committee = (
        Committee.objects.filter(institution_id=protocol.institution_id, kind=Committee.Kind.ETHICS)
        .only("rule_set")
        .order_by("id")
        .first()
    )
    return committee.rule_set if committee else Committee.RuleSet.JP


def study_facts(protocol: Protocol, recipients: list[DataRecipient], *, rule_set: str) -> dict[str, Any]:
    facts: dict[str, Any] = {name: getattr(protocol, name) for name in REQUIRED_FACTS}
    facts.update(
        rule_set=rule_set,
        personally_referable=protocol.personally_referable,
        foreign_recipients=[
            {"country": r.country, "equivalent_measures": r.equivalent_measures}
            for r in recipients
            if r.country != protocol.institution.country
        ],
    )
    return facts


def assess(protocol: Protocol, recipients: list[DataRecipient]) -> Assessment:
    missing = [name for name in REQUIRED_FACTS if getattr(protocol, name) is None or getattr(protocol, name) == ""]
    if missing:
        return Assessment(verdict=None, missing_facts=missing)
    facts = study_facts(protocol, recipients, rule_set=rule_set_for(protocol))
    try:
        return Assessment(verdict=assess_study(facts))
    except InvalidInput as invalid:
        # The form's choices are the engine's vocabulary; reaching this is a bug, said plainly.
        raise RuntimeError(f"The application's facts are not valid engine input: {invalid}") from invalid


def reason_text(reason: dict[str, str]) -> str:
    """A reason in the active language."""
    return reason["ja"] if (get_language() or "ja").startswith("ja") else reason["en"]


def _reasons(part: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"rule_id": reason["rule_id"], "text": reason_text(reason)} for reason in part.get("reasons", [])]


def present(assessment: Assessment, *, chosen: str = "") -> dict[str, Any]:
    """The verdict as the assessment panel shows it, in the active language."""
    if not assessment.complete:
        return {
            "complete": False,
            "missing": [str(model_field(Protocol, name).verbose_name) for name in assessment.missing_facts],
        }
    verdict: Mapping[str, Any] = assessment.verdict or {}
    labels = dict(ConsentProcedure.choices)
    consent = verdict["consent"]
    return {
        "complete": True,
        "allowed": [{"code": code, "label": labels.get(code, code)} for code in consent["allowed"]],
        "chosen_label": labels.get(chosen, ""),
        "chosen_allowed": not chosen or assessment.allows(chosen),
        "exception_possible": bool(consent.get("exception_possible")),
        "consent_reasons": _reasons(consent),
        "consent_rule_ids": consent["rule_ids"],
        "foreign": [
            {
                "country": item["country"],
                "requires_consent_with_information": item["requires_consent_with_information"],
                "reasons": _reasons(item),
            }
            for item in verdict.get("foreign_provision", [])
        ],
        "expedited_eligible": verdict["review"]["expedited_eligible"],
        "review_reasons": _reasons(verdict["review"]),
        "obligations": verdict["obligations"],
        "obligation_reasons": _reasons(verdict["obligations"]),
        "rule_set": verdict.get("rule_set", "JP"),
        "rulebook_version": verdict["rulebook_version"],
    }
