from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .workflow import ApprovalStatus, ConditionState, DecisionOutcome, ReviewRoute, SubmissionKind, SubmissionStatus


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


class Decision(models.Model):
    """The committee's decision on one submission (the committee's opinion under JP-ERC-13).

    Recorded only by ``services.decision_record``: on the expedited route by the secretariat or the
    chair (JP-ERC-10, US-IRB-05), on the full-board route by the meetings service after the vote."""

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("decision"), max_length=30, choices=DecisionOutcome.choices)
    reasons = models.TextField(_("reasons"), blank=True)
    decided_at = models.DateTimeField(_("decided"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    route = models.CharField(_("review route"), max_length=20, choices=ReviewRoute.choices)
    # The meetings app's AgendaItem id; no foreign key, so the apps stay decoupled.
    meeting_item_id = models.IntegerField(_("agenda item"), null=True, blank=True)
    # {"for": n, "against": n, "abstain": n} on the full-board route (US-IRB-08).
    votes = models.JSONField(_("votes"), null=True, blank=True)
    # None: settings.APPROVAL_VALIDITY_MONTHS.
    validity_months = models.PositiveSmallIntegerField(_("approval period (months)"), null=True, blank=True)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} – {self.submission_id}"


class Condition(models.Model):
    """One itemised condition of an approval with conditions: the investigator's answer and the
    sign-off. The chair's sign-off is an electronic signature: printed name, date and time, and
    meaning (US-R-01), stored on the row it signs."""

    class Meaning(models.TextChoices):
        REVIEW = "review", _("Review")
        APPROVAL = "approval", _("Approval")
        RESPONSIBILITY = "responsibility", _("Responsibility")

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="conditions")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.TextField(_("condition"))
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_off_at = models.DateTimeField(_("signed off"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signature_name = models.CharField(_("printed name"), max_length=200, blank=True)
    signature_meaning = models.CharField(
        _("meaning of the signature"), max_length=20, choices=Meaning.choices, blank=True
    )

    class Meta:
        verbose_name = _("condition")
        verbose_name_plural = _("conditions")
        ordering = ["decision", "number"]
        constraints = [models.UniqueConstraint(fields=["decision", "number"], name="condition_unique_number")]
        indexes = [models.Index(fields=["signed_off_at", "responded_at"], name="condition_sign_off_queue")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text[:50]}"

    @property
    def state(self) -> str:
        if self.signed_off_at:
            return ConditionState.SIGNED_OFF
        if self.responded_at:
            return ConditionState.ANSWERED
        return ConditionState.OPEN


class Permission(models.Model):
    """The head of the institution's permission, or refusal, after the committee's opinion (JP-ERC-13)."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="permission")
    granted = models.BooleanField(_("granted"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("decided"))
    reasons = models.TextField(_("reasons"), blank=True)

    class Meta:
        verbose_name = _("head's permission")
        verbose_name_plural = _("head's permissions")

    def __str__(self) -> str:
        return f"{'granted' if self.granted else 'refused'} – {self.decision_id}"


class Approval(models.Model):
    """The approval under which the research may be conducted: reference, period and status."""

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="approvals")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="approval")
    reference = models.CharField(_("approval reference"), max_length=40, unique=True)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(
        _("status"), max_length=20, choices=ApprovalStatus.choices, default=ApprovalStatus.ACTIVE, db_index=True
    )
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("approval")
        verbose_name_plural = _("approvals")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference


class ReviewComment(models.Model):
    """A reviewer's comment anchored to a section of the application or to one document version
    of the frozen version under review, with an optional place in it ("p. 3, §2").

    Written and deleted only by ``comments.comment_add`` / ``comment_delete`` while the review is
    open; once the review is submitted its comments are part of it and never change."""

    assignment = models.ForeignKey(ReviewerAssignment, on_delete=models.CASCADE, related_name="comments")
    # Exactly one anchor: a section key of protocols.application.SECTIONS, or a document version.
    section = models.CharField(_("section"), max_length=40, blank=True)
    document_version = models.ForeignKey(
        "protocols.DocumentVersion",
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    location = models.CharField(_("where"), max_length=100, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("review comment")
        verbose_name_plural = _("review comments")
        ordering = ["assignment", "created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(section="") & models.Q(document_version__isnull=False))
                | (~models.Q(section="") & models.Q(document_version__isnull=True)),
                name="review_comment_one_anchor",
            )
        ]
        # Every read is "the comments of these assignments, in order".
        indexes = [models.Index(fields=["assignment", "created_at", "id"], name="review_comment_assignment")]

    def __str__(self) -> str:
        return f"{self.assignment_id}: {self.text[:50]}"
