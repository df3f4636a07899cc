"""Assigning reviewers, taking them off, and members' declarations of conflicts of interest;
assignment grants access to the submission and its end revokes it. Each is the committee-review
engine's (``reviews.engine``), with the submission as its subject."""

from datetime import date
from typing import cast

from django.db import transaction

from research_governance.accounts.models import User
from research_governance.notifications.handoff import announce
from research_governance.reviews.engine import assignment_services, conflict_services
from research_governance.reviews.engine.ethics_services import EthicsSubmission
from research_governance.reviews.models import ConflictDeclaration, ReviewerAssignment, Submission


@transaction.atomic
def reviewer_assign(*, submission: Submission, by: User, reviewer: User, due_date: date) -> ReviewerAssignment:
    """Assign a committee member to review an accepted submission; grants access to it."""
    subject = EthicsSubmission.lock(submission)
    assignment = cast(
        ReviewerAssignment,
        assignment_services.reviewer_assign(subject, by=by, reviewer=reviewer, due_date=due_date),
    )
    # The reviewer is told (next_steps.review_steps.REVIEW), with a link to the workspace.
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return assignment


@transaction.atomic
def reviewer_unassign(*, assignment: ReviewerAssignment, by: User) -> ReviewerAssignment:
    """Take a reviewer off a submission; revokes their access. The assignment stays on record."""
    locked, subject = EthicsSubmission.for_assignment(assignment)
    assignment_services.reviewer_unassign(subject, locked, by=by)
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return locked


@transaction.atomic
def conflict_declare(*, submission: Submission, member: User, has_conflict: bool, reason: str) -> ConflictDeclaration:
    """A member declares, once per submission, whether they have a conflict of interest.

    A declared conflict ends any assignment at once, and with it the access (US-IRB-03)."""
    subject = EthicsSubmission.lock(submission)
    declaration = cast(
        ConflictDeclaration,
        conflict_services.conflict_declare(subject, member=member, has_conflict=has_conflict, reason=reason),
    )
    # A conflicted reviewer is withdrawn: the secretariat assigns another (a new occurrence).
    announce(protocol_ids=[subject.protocol.pk], by=member)
    return declaration
