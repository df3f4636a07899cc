from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Institution, localized


class Committee(models.Model):
    class Kind(models.TextChoices):
        ETHICS = "ethics", _("Ethics committee")
        DATA_ACCESS = "data_access", _("Data access committee")

    class RuleSet(models.TextChoices):
        JP = "JP", _("Japan (MHLW ethical guidelines)")
        US = "US", _("United States (Common Rule)")

    class DecisionRule(models.TextChoices):
        # JP-ERC-09 (UNVERIFIED): the voting rule is the committee's own setting.
        CONSENSUS = "consensus", _("Consensus")
        MAJORITY = "majority", _("Simple majority")
        TWO_THIRDS = "two_thirds", _("Two-thirds majority")

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="committees")
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ja = models.CharField(_("name (Japanese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    rule_set = models.CharField(_("rule set"), max_length=2, choices=RuleSet.choices, default=RuleSet.JP)
    decision_rule = models.CharField(
        _("decision rule"), max_length=20, choices=DecisionRule.choices, default=DecisionRule.CONSENSUS
    )

    class Meta:
        verbose_name = _("committee")
        verbose_name_plural = _("committees")
        ordering = ["code"]

    def __str__(self) -> str:
        return localized(self.name_ja, self.name_en)


class CommitteeMembership(models.Model):
    class Category(models.TextChoices):
        # JP-ERC-01: each member counts toward at most one category (JP-ERC-02).
        NATURAL_SCIENCE = "natural_science", _("Natural-science expert (medicine, health care)")
        HUMANITIES_SOCIAL = "humanities_social", _("Humanities / social-science expert (ethics, law)")
        GENERAL_PUBLIC = "general_public", _("General public's viewpoint")

    class Sex(models.TextChoices):
        FEMALE = "female", _("Female")
        MALE = "male", _("Male")
        OTHER = "other", _("Other / not stated")

    class Role(models.TextChoices):
        CHAIR = "chair", _("Chair")
        VICE_CHAIR = "vice_chair", _("Vice-chair")
        MEMBER = "member", _("Member")
        SECRETARIAT = "secretariat", _("Secretariat")

    committee = models.ForeignKey(Committee, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="committee_memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices, blank=True)
    is_external = models.BooleanField(_("external (not affiliated with the institution)"), default=False)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    valid_from = models.DateField(_("term from"), default=timezone.localdate)
    valid_to = models.DateField(_("term to"), null=True, blank=True)

    class Meta:
        verbose_name = _("committee membership")
        verbose_name_plural = _("committee memberships")
        ordering = ["committee", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "user", "valid_from"], name="committee_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @classmethod
    def current_q(cls) -> Q:
        today = timezone.localdate()
        return Q(valid_from__lte=today) & (Q(valid_to__isnull=True) | Q(valid_to__gte=today))


class Meeting(models.Model):
    """A convened meeting of a committee (full-board review). Quorum is judged per agenda
    item from the attendance and that item's conflicts (JP-ERC-06..08, US-IRB-03/04)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held")
        CLOSED = "closed", _("Closed")

    committee = models.ForeignKey(Committee, on_delete=models.PROTECT, related_name="meetings")
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
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-scheduled_at", "-id"]
        indexes = [models.Index(fields=["committee", "-scheduled_at"], name="meeting_committee_scheduled")]

    def __str__(self) -> str:
        return f"{self.committee.code} {timezone.localtime(self.scheduled_at):%Y-%m-%d %H:%M}"


class AgendaItem(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
        REVISE = "revise", _("Revise and resubmit")
        NOT_APPROVED = "not_approved", _("Not approved")
        NOT_APPLICABLE = "not_applicable", _("Not applicable (no review needed)")
        # A report (progress, adverse event, deviation, final) is acknowledged, not approved.
        ACKNOWLEDGE = "acknowledge", _("Acknowledged")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    submission = models.ForeignKey("reviews.Submission", on_delete=models.PROTECT, related_name="agenda_items")
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
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    membership = models.ForeignKey(CommitteeMembership, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(_("present"))
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [models.UniqueConstraint(fields=["meeting", "membership"], name="attendance_unique")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.present}"


class Recusal(models.Model):
    """A recusal recorded by the secretariat (the member asked, or the chair excused them).

    Investigators on the study (JP-ERC-07/08) and declared conflicts (US-IRB-03) are
    computed from the study and the declarations, and are not stored here."""

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="recusals")
    membership = models.ForeignKey(CommitteeMembership, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("recusal")
        verbose_name_plural = _("recusals")
        constraints = [models.UniqueConstraint(fields=["agenda_item", "membership"], name="recusal_unique")]

    def __str__(self) -> str:
        return f"{self.membership_id} – {self.agenda_item_id}"


class Vote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", _("For")
        AGAINST = "against", _("Against")
        ABSTAIN = "abstain", _("Abstain")

    agenda_item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="votes")
    membership = models.ForeignKey(CommitteeMembership, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(_("vote"), max_length=10, choices=Choice.choices)
    cast_at = models.DateTimeField(_("cast"))

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [models.UniqueConstraint(fields=["agenda_item", "membership"], name="vote_one_per_member")]

    def __str__(self) -> str:
        return f"{self.membership_id}: {self.choice}"
