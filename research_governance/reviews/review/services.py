"""The reviewer's work: the checklist, saving it, and submitting the review, through the
committee-review engine (``reviews.engine.review_services``)."""

from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from research_governance.accounts.models import User
from research_governance.notifications.handoff import announce
from research_governance.reviews.engine import review_services
from research_governance.reviews.engine.ethics_services import CHECKLIST_SECTIONS, EthicsSubmission
from research_governance.reviews.models import ReviewerAssignment

# The checklist is the ethics committee's rule (``engine.ethics_services``).
__all__ = ["CHECKLIST_SECTIONS", "RATING_LABELS", "review_save", "review_submit"]

RATING_LABELS: tuple[tuple[str, Promise], ...] = (
    ("adequate", gettext_lazy("Adequate")),
    ("concern", gettext_lazy("Concern")),
    ("not_applicable", gettext_lazy("Not applicable")),
)


@transaction.atomic
def review_save(
    *, assignment: ReviewerAssignment, by: User, checklist: dict[str, dict[str, str]], recommendation: str, summary: str
) -> ReviewerAssignment:
    """Save the reviewer's work in progress."""
    locked, subject = EthicsSubmission.for_assignment(assignment)
    review_services.review_save(
        subject, locked, by=by, recommendation=recommendation, summary=summary, checklist=checklist
    )
    return locked


@transaction.atomic
def review_submit(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Submit the review: every checklist section rated and a recommendation given."""
    locked, subject = EthicsSubmission.for_assignment(assignment)
    review_services.review_submit(subject, locked, by=by)
    # With every review in, the chair and the secretariat take it to a decision.
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return locked
