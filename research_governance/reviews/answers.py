"""The investigators' written answers: to a pre-screening request, or to a condition."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.reviews.models import Condition, PrescreenRequest


def _record_answer(row: PrescreenRequest | Condition, *, by: User, response: str) -> None:
    """Store an investigator's answer to a pre-screening request or a condition."""
    if not response.strip():
        raise ValidationError(gettext("Write an answer."))
    row.response = response.strip()
    row.responded_at = timezone.now()
    row.responded_by = by
    row.save(update_fields=["response", "responded_at", "responded_by"])
