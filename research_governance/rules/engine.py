"""The two entry points: assess a study, check a committee."""

from collections.abc import Mapping
from typing import Any, TypedDict

from .committee import CompositionPart, QuorumPart, check_composition, check_quorum
from .consent import ConsentPart, decide_consent
from .facts import parse_committee, parse_study
from .foreign import ForeignPart, assess_foreign
from .obligations import ObligationsPart, assess_obligations
from .review import ReviewPart, assess_review
from .rulebook import Rulebook, load_rulebook


class StudyAssessment(TypedDict):
    consent: ConsentPart
    foreign_provision: list[ForeignPart]
    review: ReviewPart
    obligations: ObligationsPart
    rule_set: str
    rulebook_version: str
    rulebook_effective_date: str  # ISO date
    country_list_version: str


class CommitteeCheck(TypedDict):
    composition: CompositionPart
    quorum: QuorumPart | None
    rule_set: str
    rulebook_version: str
    rulebook_effective_date: str


def assess_study(data: Mapping[str, Any], *, rulebook: Rulebook | None = None) -> StudyAssessment:
    """Consent procedures, foreign provision, review route and obligations for a study's facts.

    Raises InvalidInput naming the field when the facts are not valid. `rulebook`: the
    rulebook in force today unless given (tests and re-assessments pass one)."""
    facts = parse_study(data)
    book = rulebook or load_rulebook()
    foreign = assess_foreign(facts, book)
    # JP-IC-09 narrows consent, so the foreign verdicts come first.
    needing_consent = [f["country"] for f in foreign if f["requires_consent_with_information"]]
    review = assess_review(facts, book)
    return {
        "consent": decide_consent(facts, book, needing_consent),
        "foreign_provision": foreign,
        "review": review,
        "obligations": assess_obligations(facts, book, review["expedited_eligible"]),
        "rule_set": facts.rule_set.value,
        "rulebook_version": book.version,
        "rulebook_effective_date": book.effective_date.isoformat(),
        "country_list_version": book.list_version,
    }


def check_committee(data: Mapping[str, Any], *, rulebook: Rulebook | None = None) -> CommitteeCheck:
    """Composition of the roster and, when attendance is given, the meeting's quorum.

    Raises InvalidInput naming the field when the input is not valid."""
    facts = parse_committee(data)
    book = rulebook or load_rulebook()
    return {
        "composition": check_composition(facts, book),
        "quorum": check_quorum(facts, book),
        "rule_set": facts.rule_set.value,
        "rulebook_version": book.version,
        "rulebook_effective_date": book.effective_date.isoformat(),
    }
