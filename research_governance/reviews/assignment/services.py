"""Assigning reviewers, taking them off, and members' declarations of conflicts of interest;
assignment grants access to the submission and its end revokes it."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.services import notify
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.models import ConflictDeclaration, ReviewerAssignment, Submission
from research_governance.reviews.participants import _about, _require_secretariat
from research_governance.reviews.workflow import SubmissionStatus, TransitionRefused


@transaction.atomic
def reviewer_assign(*, submission: Submission, by: User, reviewer: User, due_date: date) -> ReviewerAssignment:
    """Assign a committee member to review an accepted submission; grants access to it."""
    locked = Submission.objects.select_for_update().select_related("protocol").get(pk=submission.pk)
    _require_secretariat(by, locked.protocol)
    if locked.status != SubmissionStatus.ACCEPTED:
        raise TransitionRefused(gettext("Reviewers are assigned once the submission is accepted for review."))
    if not review_permissions.ethics_committee_members(locked).filter(user=reviewer).exists():
        raise ValidationError(gettext("%(name)s is not a current member of the ethics committee.") % {"name": reviewer})
    rule = review_permissions.conflict_reason(reviewer, locked)
    if rule:
        raise ValidationError(
            gettext("%(name)s has a conflict of interest with this study and cannot review it (%(rule)s).")
            % {"name": reviewer, "rule": rule}
        )
    if locked.assignments.filter(reviewer=reviewer).exclude(status=ReviewerAssignment.Status.WITHDRAWN).exists():
        raise ValidationError(gettext("%(name)s is already assigned.") % {"name": reviewer})
    if due_date < timezone.localdate():
        raise ValidationError(gettext("The due date is in the past."))
    assignment = ReviewerAssignment.objects.create(
        submission=locked, reviewer=reviewer, assigned_by=by, assigned_at=timezone.now(), due_date=due_date
    )
    review_permissions.grant_review_access(user=reviewer, submission=locked)
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_REVIEWER_ASSIGNED,
        target=locked,
        protocol=locked.protocol,
        data={"reviewer_id": reviewer.pk, "email": reviewer.email, "due_date": due_date.isoformat()},
    )
    notify(
        recipients=[reviewer],
        kind="reviewer.assigned",
        params={**_about(locked.protocol), "due_date": due_date},
        link=reverse("reviews:workspace", args=[assignment.pk]),
        protocol=locked.protocol,
    )
    return assignment


def _withdraw_assignment(assignment: ReviewerAssignment) -> None:
    assignment.status = ReviewerAssignment.Status.WITHDRAWN
    assignment.save(update_fields=["status"])
    review_permissions.revoke_review_access(user=assignment.reviewer, submission=assignment.submission)


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Take a reviewer off a submission; revokes their access. The assignment stays on record."""
    locked = ReviewerAssignment.objects.select_for_update().select_related("submission__protocol").get(pk=assignment.pk)
    _require_secretariat(by, locked.submission.protocol)
    if locked.status == ReviewerAssignment.Status.WITHDRAWN:
        return locked
    _withdraw_assignment(locked)
    audit_record(
        actor=by,
        action=AuditAction.REVIEW_REVIEWER_UNASSIGNED,
        target=locked.submission,
        protocol=locked.submission.protocol,
        data={"reviewer_id": locked.reviewer_id},
    )
    return locked


@transaction.atomic
def conflict_declare(*, submission: Submission, member: User, has_conflict: bool, reason: str) -> ConflictDeclaration:
    """A member declares, once per submission, whether they have a conflict of interest.

    A declared conflict ends any assignment at once, and with it the access (US-IRB-03)."""
    locked = Submission.objects.select_for_update().select_related("protocol").get(pk=submission.pk)
    if not review_permissions.ethics_committee_members(locked).filter(user=member).exists():
        raise PermissionDenied
    if has_conflict and not reason.strip():
        raise ValidationError(gettext("Say briefly what the conflict is."))
    declaration, _created = ConflictDeclaration.objects.update_or_create(
        submission=locked,
        member=member,
        defaults={"has_conflict": has_conflict, "reason": reason.strip(), "declared_at": timezone.now()},
    )
    if has_conflict:
        for assignment in locked.assignments.select_for_update().filter(
            reviewer=member, status=ReviewerAssignment.Status.ASSIGNED
        ):
            _withdraw_assignment(assignment)
    audit_record(
        actor=member,
        action=AuditAction.REVIEW_CONFLICT_DECLARED,
        target=locked,
        protocol=locked.protocol,
        data={"has_conflict": has_conflict, "reason": declaration.reason},
    )
    return declaration
