from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .workflow import ReviewRoute, SubmissionKind, SubmissionStatus


class Submission(models.Model):
    """One request for a decision on a protocol, carrying the frozen version it asks about.

    Its status changes only through the transitions declared in ``workflow.py``."""

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="submissions")
    version = models.OneToOneField("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="submission")
    kind = models.CharField(_("kind"), max_length=30, choices=SubmissionKind.choices, default=SubmissionKind.INITIAL)
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus.choices, db_index=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(_("submitted"))
    status_changed_at = models.DateTimeField(_("status changed"))
    # Pre-screening rounds: a resubmission after a return points at the submission it answers.
    previous = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_round")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    route = models.CharField(_("review route"), max_length=20, choices=ReviewRoute.choices, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        permissions = [("review_submission", "Can review the submission")]
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="submission_status_submitted"),
            models.Index(fields=["protocol", "-submitted_at"], name="submission_protocol_submitted"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.protocol}"


class PrescreenRequest(models.Model):
    """One itemised request from the secretariat's pre-screening, and the applicant's answer."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="requests")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("request"))
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("pre-screening request")
        verbose_name_plural = _("pre-screening requests")
        ordering = ["submission", "number"]
        constraints = [models.UniqueConstraint(fields=["submission", "number"], name="prescreen_request_unique")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:50]}"


class SubmissionUserObjectPermission(UserObjectPermissionBase):
    """Direct-FK object permissions on submissions: reviewers hold ``review_submission``
    on the submissions assigned to them, granted and revoked by the assignment services."""

    content_object = models.ForeignKey(Submission, on_delete=models.CASCADE)


class SubmissionGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Submission, on_delete=models.CASCADE)


class ConflictDeclaration(models.Model):
    """A committee member's declaration for one submission (JP-ERC-07, US-IRB-03).

    Investigators on the study are conflicted whether or not they declare (JP-ERC-07/08)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="conflict_declarations")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    has_conflict = models.BooleanField(_("I have a conflict of interest"))
    reason = models.TextField(_("reason"), blank=True)
    declared_at = models.DateTimeField(_("declared"))

    class Meta:
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="conflict_declaration_unique")]

    def __str__(self) -> str:
        return f"{self.member} – {self.submission_id}: {self.has_conflict}"


class ReviewerAssignment(models.Model):
    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("Assigned")
        COMPLETED = "completed", _("Review submitted")
        WITHDRAWN = "withdrawn", _("Unassigned")

    class Recommendation(models.TextChoices):
        APPROVE = "approve", _("Approve")
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
        REVISE = "revise", _("Revise and resubmit")
        NOT_APPROVED = "not_approved", _("Not approved")

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(_("assigned"))
    due_date = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ASSIGNED)
    # The structured checklist: {section: {"rating": ..., "comment": ...}}, saved as the reviewer works.
    checklist = models.JSONField(default=dict, blank=True)
    recommendation = models.CharField(_("recommendation"), max_length=30, choices=Recommendation.choices, blank=True)
    summary = models.TextField(_("summary for the committee"), blank=True)
    completed_at = models.DateTimeField(_("review submitted"), null=True, blank=True)

    class Meta:
        verbose_name = _("reviewer assignment")
        verbose_name_plural = _("reviewer assignments")
        ordering = ["due_date", "id"]
        constraints = [
            # One live assignment per reviewer and submission; an unassigned one stays on record.
            models.UniqueConstraint(
                fields=["submission", "reviewer"],
                condition=~models.Q(status="withdrawn"),
                name="assignment_one_live_per_reviewer",
            )
        ]
        indexes = [models.Index(fields=["reviewer", "status", "due_date"], name="assignment_reviewer_queue")]

    def __str__(self) -> str:
        return f"{self.reviewer} – {self.submission_id}"
