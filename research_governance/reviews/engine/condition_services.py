"""The conditions of an approval with conditions: the investigator answers each, an officer
without a conflict signs it off. The sign-off is an electronic signature on the row it signs:
printed name, date and time, and meaning, with the password entered again (US-R-01)."""

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.reviews.workflow import CONDITION_TRANSITIONS, transition_for

from .conflicts import refuse_conflicted
from .signature import check_signature, signature_meanings
from .subject import ReviewSubject


def record_answer(row: Any, *, by: User, response: str) -> None:
    """Store an answer on a row that asks for one (a condition, a pre-screening request)."""
    if not response.strip():
        raise ValidationError(gettext("Write an answer."))
    row.response = response.strip()
    row.responded_at = timezone.now()
    row.responded_by = by
    row.save(update_fields=["response", "responded_at", "responded_by"])


def condition_answer(subject: ReviewSubject, condition: Any, *, by: User, response: str) -> Any:
    """The applicant answers the locked condition; it can change until it is signed off."""
    transition = transition_for("answer", condition.state, subject.actors_for(by), CONDITION_TRANSITIONS)
    record_answer(condition, by=by, response=response)
    subject.audit(
        by=by,
        action=transition.audit_action,
        data={"condition_id": condition.pk, "number": condition.number, "response": condition.response},
    )
    return condition


def condition_sign_off(subject: ReviewSubject, condition: Any, *, by: User, meaning: str, password: str) -> Any:
    """An officer signs off the locked, answered condition."""
    transition = transition_for("sign_off", condition.state, subject.actors_for(by), CONDITION_TRANSITIONS)
    refuse_conflicted(subject, by)
    if meaning not in signature_meanings():
        raise ValidationError(gettext("Choose what your signature means: review, approval or responsibility."))
    check_signature(by, password)
    condition.signed_off_at = timezone.now()
    condition.signed_off_by = by
    condition.signature_name = by.display_name
    condition.signature_meaning = meaning
    condition.save(update_fields=["signed_off_at", "signed_off_by", "signature_name", "signature_meaning"])
    subject.audit(
        by=by,
        action=transition.audit_action,
        data={
            "condition_id": condition.pk,
            "number": condition.number,
            "signature_name": condition.signature_name,
            "signature_meaning": meaning,
            "signed_at": condition.signed_off_at.isoformat(),
            "signature_components": ["signed-in user", "password"],
        },
    )
    return condition
