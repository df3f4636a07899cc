"""Assigning a committee member to review a subject, and taking them off. Both committees: an
officer assigns a current member without a conflict (JP-ERC-07, US-IRB-03) once the subject is
under review; an assignment taken off, or ended by a declared conflict, stays on record as
withdrawn."""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.reviews.workflow import TransitionRefused

from .models import AssignmentStatus, ReviewerAssignmentBase
from .subject import ReviewSubject


def reviewer_assign(
    subject: ReviewSubject, *, by: User, reviewer: User, due_date: date | None = None
) -> ReviewerAssignmentBase:
    """Assign ``reviewer`` to the locked subject (the caller holds the transaction and the lock)."""
    subject.require_officer(by)
    messages = subject.rules.messages
    if subject.status not in subject.rules.review_statuses:
        raise TransitionRefused(messages.not_under_review)
    if not subject.committee_members().filter(pk=reviewer.pk).exists():
        raise ValidationError(str(messages.not_a_member) % {"name": reviewer})
    rule = subject.conflict_reason(reviewer)
    if rule:
        raise ValidationError(str(messages.reviewer_conflicted) % {"name": reviewer, "rule": rule})
    if subject.assignments().filter(reviewer=reviewer).exclude(status=AssignmentStatus.WITHDRAWN).exists():
        raise ValidationError(gettext("%(name)s is already assigned.") % {"name": reviewer})
    due_date = due_date or timezone.localdate() + timedelta(days=subject.rules.review_days)
    if due_date < timezone.localdate():
        raise ValidationError(gettext("The due date is in the past."))
    assignment = subject.assignment_model.objects.create(
        **{subject.subject_field: subject.row},
        reviewer=reviewer,
        assigned_by=by,
        assigned_at=timezone.now(),
        due_date=due_date,
    )
    subject.assignment_made(assignment)
    subject.audit(
        by=by,
        action=subject.rules.audit.reviewer_assigned,
        data={"reviewer_id": reviewer.pk, "email": reviewer.email, "due_date": due_date.isoformat()},
    )
    subject.notify_assigned(assignment)
    return assignment


def assignment_withdraw(subject: ReviewSubject, assignment: ReviewerAssignmentBase) -> None:
    """End a locked assignment; it stays on record."""
    assignment.status = AssignmentStatus.WITHDRAWN
    assignment.save(update_fields=["status"])
    subject.assignment_withdrawn(assignment)


def reviewer_unassign(
    subject: ReviewSubject, assignment: ReviewerAssignmentBase, *, by: User
) -> ReviewerAssignmentBase:
    """Take a reviewer off (``assignment`` locked by the caller); taking them off twice changes nothing."""
    subject.require_officer(by)
    action = subject.rules.audit.reviewer_unassigned
    if action is None:
        raise PermissionDenied
    if assignment.status == AssignmentStatus.WITHDRAWN:
        return assignment
    assignment_withdraw(subject, assignment)
    subject.audit(by=by, action=action, data={"reviewer_id": assignment.reviewer_id})
    return assignment
