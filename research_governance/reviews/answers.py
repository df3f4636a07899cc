"""The investigators' written answers: to a pre-screening request, or to a condition."""

from research_governance.accounts.models import User
from research_governance.reviews.engine import condition_services
from research_governance.reviews.models import Condition, PrescreenRequest


def _record_answer(row: PrescreenRequest | Condition, *, by: User, response: str) -> None:
    """Store an investigator's answer to a pre-screening request or a condition."""
    condition_services.record_answer(row, by=by, response=response)
