"""The rows both committees keep: a reviewer's assignment and review, and a member's
conflict-of-interest declaration. Abstract: each committee's table (``reviews.ReviewerAssignment``,
``agreements.RequestReview``; ``reviews.ConflictDeclaration``, ``agreements.RequestConflict``)
adds only its subject, its reviewer's reverse name and its constraints, so the engine reads and
writes the same fields on either."""

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("Assigned")
    COMPLETED = "completed", _("Review submitted")
    WITHDRAWN = "withdrawn", _("Unassigned")


class Recommendation(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
    REVISE = "revise", _("Revise and resubmit")
    NOT_APPROVED = "not_approved", _("Not approved")


class ReviewerAssignmentBase(models.Model):
    """A committee member assigned to review one subject, and their review. Taken off (or after
    declaring a conflict) it is withdrawn and stays on record."""

    Status = AssignmentStatus
    Recommendation = Recommendation

    # Each concrete row declares its reviewer, with its own reverse name.
    reviewer: Any
    reviewer_id: int

    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"))
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=AssignmentStatus.choices, default="assigned")
    recommendation = models.CharField(_("recommendation"), max_length=30, choices=Recommendation.choices, blank=True)
    summary = models.TextField(_("summary for the committee"), blank=True)
    completed_at = models.DateTimeField(_("review submitted"), null=True, blank=True)

    class Meta:
        abstract = True


class ConflictDeclarationBase(models.Model):
    """A committee member's declaration for one subject (US-IRB-03). Members on the study's or the
    request's team are conflicted whatever they declare (JP-ERC-07): ``conflicts.conflict_reason``."""

    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    has_conflict = models.BooleanField(_("I have a conflict of interest"), default=True)
    reason = models.TextField(_("reason"), blank=True)
    declared_at = models.DateTimeField(_("declared"))

    class Meta:
        abstract = True
