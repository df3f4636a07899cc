"""The reviewer's own review: saved while they work, then submitted once. Both committees ask
for a recommendation; the rule set adds the checklist (every section rated) or the comments for
the committee, and the subject its own limits (US-IRB-05 on an expedited review)."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.reviews.workflow import TransitionRefused

from .models import AssignmentStatus, ReviewerAssignmentBase
from .subject import ReviewSubject

CHECKLIST_RATINGS = ("adequate", "concern", "not_applicable")


def own_open_assignment(subject: ReviewSubject, assignment: ReviewerAssignmentBase, by: User) -> None:
    """Refuse anyone but the assigned reviewer, still without a conflict, on a review still open."""
    if assignment.reviewer_id != by.pk or not subject.may_review(by):
        raise PermissionDenied
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise TransitionRefused(gettext("This review has been submitted and can no longer change."))
    if subject.status not in subject.rules.review_statuses:
        raise TransitionRefused(subject.rules.messages.review_closed)


def review_save(
    subject: ReviewSubject,
    assignment: ReviewerAssignmentBase,
    *,
    by: User,
    recommendation: str,
    summary: str,
    checklist: dict[str, dict[str, str]] | None = None,
) -> ReviewerAssignmentBase:
    """Save the reviewer's work in progress on the locked assignment."""
    own_open_assignment(subject, assignment, by)
    fields = ["recommendation", "summary"]
    if subject.rules.checklist:
        known = {key for key, _label in subject.rules.checklist}
        assignment.checklist = {  # type: ignore[attr-defined]  # only a committee with a checklist stores one
            key: {"rating": value.get("rating", ""), "comment": value.get("comment", "").strip()}
            for key, value in (checklist or {}).items()
            if key in known
        }
        fields.append("checklist")
    assignment.recommendation = recommendation
    assignment.summary = summary.strip()
    assignment.full_clean(exclude=[subject.subject_field, "reviewer", "assigned_by"])
    assignment.save(update_fields=fields)
    return assignment


def review_problems(subject: ReviewSubject, assignment: ReviewerAssignmentBase) -> list[str]:
    """Everything the review still lacks, all at once."""
    rules = subject.rules
    checklist: dict[str, Any] = getattr(assignment, "checklist", {})
    missing = [
        str(label) for key, label in rules.checklist if checklist.get(key, {}).get("rating") not in CHECKLIST_RATINGS
    ]
    problems: list[str] = []
    if missing:
        problems.append(
            gettext("Rate every section of the checklist: %(sections)s.") % {"sections": ", ".join(missing)}
        )
    if not assignment.recommendation:
        problems.append(gettext("Give your recommendation."))
    if rules.summary_required and rules.messages.summary_missing and not assignment.summary:
        problems.append(str(rules.messages.summary_missing))
    return problems + subject.review_problems(assignment)


def review_submit(subject: ReviewSubject, assignment: ReviewerAssignmentBase, *, by: User) -> ReviewerAssignmentBase:
    """Submit the locked assignment's review: complete, it no longer changes."""
    own_open_assignment(subject, assignment, by)
    problems = review_problems(subject, assignment)
    if problems:
        raise ValidationError(problems)
    assignment.status = AssignmentStatus.COMPLETED
    assignment.completed_at = timezone.now()
    assignment.save(update_fields=["status", "completed_at"])
    subject.audit(
        by=by,
        action=subject.rules.audit.review_submitted,
        data={"assignment_id": assignment.pk, "recommendation": assignment.recommendation},
    )
    return assignment
