"""The committee's decision on a subject, with its conditions. Both committees: an officer
without a conflict records it from a state the workflow table allows, once a review is submitted
where the subject asks for one; an approval with conditions has conditions and nothing else has.
The subject stores it and says what follows (an approval, an agreement, letters)."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.reviews.workflow import DecisionOutcome, TransitionRefused, transition_for

from .conflicts import refuse_conflicted
from .models import AssignmentStatus
from .subject import ReviewSubject


def condition_texts(conditions: Sequence[str]) -> list[str]:
    """The conditions as written, one a line, without blank ones."""
    return [text.strip() for text in conditions if text.strip()]


def decision_record(
    subject: ReviewSubject,
    *,
    by: User,
    outcome: str,
    reasons: str,
    conditions: Sequence[str] = (),
    **particulars: Any,
) -> Any:
    """Record the decision on the locked subject; returns what the subject's ``store_decision`` returns."""
    subject.require_decider(by)
    transition = transition_for("decide", subject.status, subject.actors_for(by), subject.transitions)
    refuse_conflicted(subject, by)
    if outcome not in DecisionOutcome.values:
        raise ValidationError(gettext("Choose the decision."))
    if outcome not in subject.outcomes():
        raise ValidationError(subject.outcome_refused(outcome))
    particulars = subject.check_decision(outcome, particulars)
    if (
        subject.decision_needs_review(particulars)
        and not subject.assignments().filter(status=AssignmentStatus.COMPLETED).exists()
    ):
        raise TransitionRefused(gettext("Record the decision once at least one reviewer has submitted a review."))
    texts = condition_texts(conditions)
    problems: list[str] = []
    if subject.rules.reasons_required and not reasons.strip():
        problems.append(gettext("Give the reasons for the decision."))
    if outcome == DecisionOutcome.APPROVE_WITH_CONDITIONS and not texts:
        problems.append(str(subject.rules.messages.conditions_missing))
    if outcome != DecisionOutcome.APPROVE_WITH_CONDITIONS and texts:
        problems.append(gettext("Only an approval with conditions has conditions."))
    problems += subject.decision_problems(outcome, particulars)
    if problems:
        raise ValidationError(problems)

    now = timezone.now()
    previous = subject.status
    subject.row.status = transition.target
    subject.row.status_changed_at = now
    decision = subject.store_decision(
        by=by, outcome=outcome, reasons=reasons.strip(), conditions=texts, at=now, particulars=particulars
    )
    subject.audit(
        by=by,
        action=transition.audit_action,
        data={
            "from": previous,
            "to": subject.status,
            "outcome": outcome,
            "reasons": reasons.strip(),
            "conditions": texts,
            **subject.decision_audit_data(decision),
        },
    )
    subject.after_decision(decision, by=by)
    return decision
