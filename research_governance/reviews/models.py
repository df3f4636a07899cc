from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .engine.models import ConflictDeclarationBase, ReviewerAssignmentBase
from .workflow import (
    ApprovalStatus,
    ConditionState,
    DecisionOutcome,
    PermissionState,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
)


class Submission(models.Model):
    """One request for a decision on a protocol, carrying the frozen version it asks about.

    The initial application and an amendment carry a version of their own; a report refers to the
    version in force when it was made. Its status changes only through the transitions declared in
    ``workflow.py``."""

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="submissions")
    version = models.ForeignKey("protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="submissions")
    kind = models.CharField(_("kind"), max_length=30, choices=SubmissionKind.choices, default=SubmissionKind.INITIAL)
    status = models.CharField(_("status"), max_length=20, choices=SubmissionStatus.choices, db_index=True)
    # A serious adverse event goes to the top of every queue (JP-R-02).
    urgent = models.BooleanField(_("urgent"), default=False)
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
        constraints = [
            # A version is carried by one submission; reports only refer to the version in force.
            models.UniqueConstraint(
                fields=["version"],
                condition=models.Q(kind__in=["initial", "amendment"]),
                name="submission_one_per_carried_version",
            )
        ]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="submission_status_submitted"),
            models.Index(fields=["protocol", "-submitted_at"], name="submission_protocol_submitted"),
            models.Index(fields=["status", "-urgent", "submitted_at"], name="submission_queue_urgent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.protocol}"


class Report(models.Model):
    """What the investigator tells the committee with a post-approval submission: a report, or
    for an amendment the summary of its changes. Which fields a kind asks for is declared in
    ``reports.REPORT_FIELDS``."""

    class Causality(models.TextChoices):
        RELATED = "related", _("Related to the research")
        POSSIBLY = "possibly", _("Possibly related")
        UNRELATED = "unrelated", _("Not related")
        UNKNOWN = "unknown", _("Not yet known")

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="report")
    summary = models.TextField(_("summary"))
    # Amendment.
    minor_change = models.BooleanField(
        _("minor change"),
        default=False,
        help_text=_("A minor change may be reviewed by expedited review (JP-ERC-10)."),
    )
    # Progress report (JP-R-01) and final report (JP-R-07).
    period_from = models.DateField(_("period from"), null=True, blank=True)
    period_to = models.DateField(_("period to"), null=True, blank=True)
    participants_enrolled = models.PositiveIntegerField(_("participants enrolled so far"), null=True, blank=True)
    # Serious adverse event (JP-R-02) and deviation (JP-R-04).
    occurred_on = models.DateField(_("date it occurred"), null=True, blank=True)
    became_aware_on = models.DateField(_("date the investigator learned of it"), null=True, blank=True)
    causality = models.CharField(_("causality"), max_length=20, choices=Causality.choices, blank=True)
    unexpected = models.BooleanField(_("unexpected (not described in the protocol)"), default=False)
    serious = models.BooleanField(_("serious non-compliance"), default=False)
    actions_taken = models.TextField(_("actions taken"), blank=True)
    # Final report (JP-R-07).
    completed_on = models.DateField(_("date the research ended"), null=True, blank=True)
    results_summary = models.TextField(_("summary of results"), blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return f"{self.submission}"


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


class ConflictDeclaration(ConflictDeclarationBase):
    """A committee member's declaration for one submission (JP-ERC-07, US-IRB-03).

    Investigators on the study are conflicted whether or not they declare (JP-ERC-07/08)."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="conflict_declarations")

    class Meta:
        verbose_name = _("conflict-of-interest declaration")
        verbose_name_plural = _("conflict-of-interest declarations")
        constraints = [models.UniqueConstraint(fields=["submission", "member"], name="conflict_declaration_unique")]

    def __str__(self) -> str:
        return f"{self.member} – {self.submission_id}: {self.has_conflict}"


class ReviewerAssignment(ReviewerAssignmentBase):
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_assignments")
    # The structured checklist: {section: {"rating": ..., "comment": ...}}, saved as the reviewer works.
    checklist = models.JSONField(default=dict, blank=True)

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
    # The head of institution must permit this decision before it takes effect (JP-ERC-13).
    needs_permission = models.BooleanField(_("needs the head's permission"), default=False)

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        indexes = [
            models.Index(
                fields=["decided_at"], condition=models.Q(needs_permission=True), name="decision_awaiting_permission"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} – {self.submission_id}"

    @property
    def permission_state(self) -> str:
        """Where the head's permission stands; "" when the decision needs none."""
        if not self.needs_permission:
            return ""
        permission = getattr(self, "permission", None)
        if permission is None:
            return PermissionState.AWAITING
        return PermissionState.PERMITTED if permission.granted else PermissionState.REFUSED

    @property
    def permission_state_label(self) -> str:
        state = self.permission_state
        return str(PermissionState(state).label) if state else ""


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


class SitePermission(models.Model):
    """The permission, or refusal, of a participating site's head of institution after a central
    review (JP-ERC-12): one committee's opinion covers the listed sites; each site's head permits
    for their site. The lead institution's permission is ``Permission``."""

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="site_permissions")
    site = models.ForeignKey("protocols.Site", on_delete=models.PROTECT, related_name="permissions")
    granted = models.BooleanField(_("granted"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("decided"))
    reasons = models.TextField(_("reasons"), blank=True)

    class Meta:
        verbose_name = _("site head's permission")
        verbose_name_plural = _("site heads' permissions")
        constraints = [models.UniqueConstraint(fields=["decision", "site"], name="site_permission_once")]

    def __str__(self) -> str:
        return f"{'granted' if self.granted else 'refused'} – {self.site_id}"


class Approval(models.Model):
    """The approval under which the research may be conducted: reference, period and status."""

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="approvals")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="approval")
    # The version of the application in force: the one approved, then each approved amendment.
    version = models.ForeignKey(
        "protocols.ProtocolVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("version in force")
    )
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


# ---- full-board meetings --------------------------------------------------------------------------------


class Meeting(models.Model):
    """A convened meeting of a committee (full-board review). Quorum is judged per agenda
    item from the attendance and that item's conflicts (JP-ERC-06..08, US-IRB-03/04)."""

    # Its audit events written before it moved from committees (events keep their label).
    former_labels = ("committees.meeting",)

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")

    committee = models.ForeignKey("committees.Committee", on_delete=models.PROTECT, related_name="meetings")
    scheduled_at = models.DateTimeField(_("date and time"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SCHEDULED)
    # US-IRB-08: the secretariat's narrative; the facts (attendance, votes, decisions) are generated.
    minutes_narrative = models.TextField(_("minutes narrative"), blank=True)
    # Set by meeting_close: from then on the record, and so the minutes, are final.
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        # Moved from committees with its table (migration reviews 0009).
        db_table = "committees_meeting"
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["committee", "-scheduled_at"], name="meeting_committee_scheduled")]

    def __str__(self) -> str:
        return f"{self.committee.code} {timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"


class AgendaItem(models.Model):
    # Its audit events written before it moved from committees (events keep their label).
    former_labels = ("committees.agendaitem",)

    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
        REVISE = "revise", _("Revise and resubmit")
        NOT_APPROVED = "not_approved", _("Not approved")
        NOT_APPLICABLE = "not_applicable", _("Not applicable (no review needed)")
        # A report (progress, adverse event, deviation, final) is acknowledged, not approved.
        ACKNOWLEDGE = "acknowledge", _("Acknowledged")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="agenda_items")
    order = models.PositiveSmallIntegerField(_("order"))
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    reasons = models.TextField(_("reasons"), blank=True)
    conditions = models.JSONField(_("conditions"), default=list, blank=True)
    # The tally and the quorum verdict at the moment of the decision, kept as facts for the minutes.
    tally = models.JSONField(default=dict, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Deferred to a later meeting: no decision here; the submission stays accepted for the full
    # board and can be put on another meeting's agenda.
    deferred_at = models.DateTimeField(_("deferred"), null=True, blank=True)
    deferred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deferral_reason = models.TextField(_("reason for deferral"), blank=True)

    class Meta:
        # Moved from committees with its table (migration reviews 0009).
        db_table = "committees_agendaitem"
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "submission"], name="agenda_item_unique")]

    def __str__(self) -> str:
        return f"{self.order}. {self.submission}"

    @property
    def is_deferred(self) -> bool:
        return self.deferred_at is not None

    @property
    def is_pending(self) -> bool:
        """Neither decided nor deferred: the meeting cannot close while such an item remains."""
        return not self.outcome and self.deferred_at is None


class Attendance(models.Model):
    # Its audit events written before it moved from committees (events keep their label).
    former_labels = ("committees.attendance",)

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey("committees.CommitteeMembership", on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        # Moved from committees with its table (migration reviews 0009).
        db_table = "committees_attendance"
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.present}"


class Recusal(models.Model):
    """A recusal recorded by the secretariat (the member asked, or the chair excused them).

    Investigators on the study (JP-ERC-07/08) and declared conflicts (US-IRB-03) are
    computed from the study and the declarations, and are not stored here."""

    # Its audit events written before it moved from committees (events keep their label).
    former_labels = ("committees.recusal",)

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="recusals")
    membership = models.ForeignKey("committees.CommitteeMembership", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        # Moved from committees with its table (migration reviews 0009).
        db_table = "committees_recusal"
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [models.UniqueConstraint(fields=["agenda_item", "membership"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.membership_id} – {self.agenda_item_id}"


class Vote(models.Model):
    # Its audit events written before it moved from committees (events keep their label).
    former_labels = ("committees.vote",)

    class Choice(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    membership = models.ForeignKey("committees.CommitteeMembership", on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(_("cast"))

    class Meta:
        # Moved from committees with its table (migration reviews 0009).
        db_table = "committees_vote"
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["agenda_item", "membership"], name="vote_one_per_member")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.choice}"
