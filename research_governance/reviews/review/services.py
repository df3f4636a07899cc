"""The reviewer's work: the checklist, saving it, and submitting the review."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.protocols.assessment import rule_set_for
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.models import ReviewerAssignment
from research_governance.reviews.workflow import ReviewRoute, TransitionRefused

# The reviewer's checklist (issue 4: scientific validity, risk and benefit, consent and its
# documents, privacy and data handling, AI and automated analysis, conflicts of interest).
CHECKLIST_SECTIONS: tuple[tuple[str, Promise], ...] = (
    ("scientific_validity", gettext_lazy("Scientific validity")),
    ("risk_benefit", gettext_lazy("Risk and benefit")),
    ("consent", gettext_lazy("Consent and its documents")),
    ("privacy", gettext_lazy("Privacy and data handling")),
    ("ai", gettext_lazy("AI and automated analysis: bias, explainability, data sent to external AI services")),
    ("conflicts", gettext_lazy("Conflicts of interest")),
)


CHECKLIST_RATINGS = ("adequate", "concern", "not_applicable")


RATING_LABELS: tuple[tuple[str, Promise], ...] = (
    ("adequate", gettext_lazy("Adequate")),
    ("concern", gettext_lazy("Concern")),
    ("not_applicable", gettext_lazy("Not applicable")),
)


def _own_open_assignment(assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    locked = ReviewerAssignment.objects.select_for_update().select_related("submission__protocol").get(pk=assignment.pk)
    if locked.reviewer_id != by.pk or not review_permissions.can_review(by, locked.submission):
        raise PermissionDenied
    if locked.status != ReviewerAssignment.Status.ASSIGNED:
        raise TransitionRefused(gettext("This review has been submitted and can no longer change."))
    return locked


@transaction.atomic
def review_save(
    *, assignment: ReviewerAssignment, by: User, checklist: dict[str, dict[str, str]], recommendation: str, summary: str
) -> ReviewerAssignment:
    """Save the reviewer's work in progress."""
    locked = _own_open_assignment(assignment, by)
    known = {key for key, _label in CHECKLIST_SECTIONS}
    locked.checklist = {
        key: {"rating": value.get("rating", ""), "comment": value.get("comment", "").strip()}
        for key, value in checklist.items()
        if key in known
    }
    locked.recommendation = recommendation
    locked.summary = summary.strip()
    locked.full_clean(exclude=["submission", "reviewer", "assigned_by"])
    locked.save(update_fields=["checklist", "recommendation", "summary"])
    return locked


@transaction.atomic
def review_submit(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Submit the review: every checklist section rated and a recommendation given."""
    locked = _own_open_assignment(assignment, by)
    missing = [
        str(label)
        for key, label in CHECKLIST_SECTIONS
        if locked.checklist.get(key, {}).get("rating") not in CHECKLIST_RATINGS
    ]
    problems: list[str] = []
    if missing:
        problems.append(
            gettext("Rate every section of the checklist: %(sections)s.") % {"sections": ", ".join(missing)}
        )
    if not locked.recommendation:
        problems.append(gettext("Give your recommendation."))
    submission = locked.submission
    if (
        locked.recommendation == ReviewerAssignment.Recommendation.NOT_APPROVED
        and submission.route == ReviewRoute.EXPEDITED
        and rule_set_for(submission.protocol) == "US"
    ):
        # US-IRB-05: an expedited reviewer cannot disapprove; only the convened board can.
        problems.append(
            gettext(
                "An expedited reviewer cannot recommend disapproval (US-IRB-05); recommend revision, or ask the "
                "secretariat to refer the submission to the full board."
            )
        )
    if problems:
        raise ValidationError(problems)
    locked.status = ReviewerAssignment.Status.COMPLETED
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "completed_at"])
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_SUBMITTED,
        target=submission,
        protocol=submission.protocol,
        data={"assignment_id": locked.pk, "recommendation": locked.recommendation},
    )
    return locked
