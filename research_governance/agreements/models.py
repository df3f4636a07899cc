"""Data held under an approved protocol, the requests for it, the agreements and access grants
that follow, and what happens at the end: destruction, provision records, refusals.

A dataset depends on one ethics approval; every agreement covering the dataset lives only while
that approval is active (``cascade_services``)."""

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.protocols.models import Deidentification
from research_governance.reviews.engine.models import ConflictDeclarationBase, ReviewerAssignmentBase

from .workflow import AgreementStatus, GrantState, RequestStatus


class DuoPermission(models.TextChoices):
    # GA4GH Data Use Ontology: the primary category of what subjects consented to.
    GRU = "GRU", _("General research use (GRU)")
    HMB = "HMB", _("Health, medical or biomedical research (HMB)")
    DS = "DS", _("Disease-specific research (DS)")
    POA = "POA", _("Population origins or ancestry research only (POA)")
    NRES = "NRES", _("No restriction (NRES)")


class RequestPurpose(models.TextChoices):
    # The requester's primary purpose, in the same terms (DUO).
    GRU = "GRU", _("General research")
    HMB = "HMB", _("Health, medical or biomedical research")
    DS = "DS", _("Research on specific diseases")
    POA = "POA", _("Population origins or ancestry research")


class Dataset(models.Model):
    """Samples' data or information held under an approved protocol, with the consent scope that
    binds every use of it (DUO codes) and the approval it depends on."""

    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="datasets")
    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="datasets")
    approval = models.ForeignKey(
        "reviews.Approval", verbose_name=_("ethics approval"), on_delete=models.PROTECT, related_name="datasets"
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # REGULATORY.md section 4.
    deidentification = models.CharField(_("de-identification level"), max_length=30, choices=Deidentification.choices)
    special_care = models.BooleanField(_("contains special-care personal information"), default=False)
    genetic = models.BooleanField(_("contains genetic data"), default=False)
    personally_referable = models.BooleanField(_("contains personally referable information"), default=False)
    # What the subjects agreed to, beyond the DUO codes (JP-IC-08, JP-IC-09, XB-02).
    consent_covers_provision = models.BooleanField(
        _("subjects consented to provision to other institutions"), default=False
    )
    consent_with_foreign_information = models.BooleanField(
        _("subjects consented to foreign provision after being told the country and its protection system"),
        default=False,
    )
    eea_origin = models.BooleanField(_("collected in the EEA (GDPR applies)"), default=False)
    # The consent scope in GA4GH DUO terms.
    duo_permission = models.CharField(_("data use permission"), max_length=4, choices=DuoPermission.choices)
    duo_diseases = models.JSONField(_("diseases (DS)"), default=list, blank=True)
    duo_modifiers = models.JSONField(_("data use modifiers"), default=list, blank=True)
    duo_countries = models.JSONField(_("countries (GS)"), default=list, blank=True)
    duo_time_limit = models.DateField(_("use allowed until (TS)"), null=True, blank=True)
    duo_moratorium_until = models.DateField(_("publication moratorium until (MOR)"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("dataset")
        verbose_name_plural = _("datasets")
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["institution", "title"], name="dataset_institution_title")]

    def __str__(self) -> str:
        return self.title


class DataAccessRequest(models.Model):
    """A request for datasets, from our own or another institution, reviewed by the provider
    institution's data access committee."""

    class Medium(models.TextChoices):
        SECURE_TRANSFER = "secure_transfer", _("Encrypted network transfer")
        REMOTE_ACCESS = "remote_access", _("Remote access in a controlled environment")
        ENCRYPTED_MEDIA = "encrypted_media", _("Encrypted physical medium")

    reference = models.CharField(_("reference"), max_length=30, unique=True, null=True, blank=True)
    # The provider's institution, whose data access committee decides.
    institution = models.ForeignKey("accounts.Institution", on_delete=models.PROTECT, related_name="data_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.PROTECT,
        related_name="data_requests",
    )
    datasets = models.ManyToManyField(Dataset, verbose_name=_("datasets"), related_name="requests")
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.DRAFT, db_index=True
    )
    # A renewal starts as a copy of an earlier request.
    renewal_of = models.ForeignKey(
        "self", verbose_name=_("renews"), on_delete=models.PROTECT, null=True, blank=True, related_name="renewals"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    lock_version = models.PositiveIntegerField(default=1)

    # The research
    title = models.CharField(_("project title"), max_length=300)
    research_summary = models.TextField(_("intended use"), blank=True)
    purpose = models.CharField(_("purpose"), max_length=4, choices=RequestPurpose.choices, blank=True)
    purpose_diseases = models.JSONField(_("diseases studied"), default=list, blank=True)
    genetic_study = models.BooleanField(_("genetic study"), default=False)
    methods_development = models.BooleanField(_("develops methods, software or algorithms"), default=False)
    commercial = models.BooleanField(_("commercial use or for-profit recipient"), default=False)
    ethics_approval_reference = models.CharField(
        _("recipient's ethics approval"),
        max_length=100,
        blank=True,
        help_text=_("Reference of the ethics approval covering the recipient's use, if it has one."),
    )

    # The recipient
    recipient_institution = models.CharField(_("recipient institution"), max_length=200, blank=True)
    recipient_is_provider = models.BooleanField(
        _("the recipient is the provider's own institution"),
        default=False,
        help_text=_("Use within the institution that holds the data is not provision to a third party."),
    )
    recipient_country = models.CharField(
        _("recipient country"), max_length=2, blank=True, help_text=_("ISO 3166-1 alpha-2 code, e.g. JP.")
    )
    equivalent_measures = models.BooleanField(
        _("the recipient keeps an equivalent-protection system"),
        default=False,
        help_text=_("By contract or internal rules (JP-IC-09, XB-01)."),
    )
    standard_contractual_clauses = models.BooleanField(
        _("standard contractual clauses are in place"), default=False, help_text=_("GDPR Art. 46 (XB-02).")
    )
    deidentification_shared = models.CharField(
        _("de-identification level to be shared"), max_length=30, choices=Deidentification.choices, blank=True
    )
    medium = models.CharField(_("how the data are provided"), max_length=20, choices=Medium.choices, blank=True)

    # Security measures, in the spirit of the NBDC human data security guideline.
    security_storage = models.BooleanField(_("stored only on the approved, access-controlled systems"), default=False)
    security_access_control = models.BooleanField(_("access limited to the named team members"), default=False)
    security_encryption = models.BooleanField(_("encrypted at rest and in transit"), default=False)
    security_no_reidentification = models.BooleanField(
        _("no attempt to re-identify any person, and no linkage that could"), default=False
    )
    security_destruction = models.BooleanField(
        _("destroyed at the end of the term, and the destruction recorded"), default=False
    )
    security_notes = models.TextField(_("security notes"), blank=True)

    # The term
    term_start = models.DateField(_("access from"), null=True, blank=True)
    term_end = models.DateField(_("access until"), null=True, blank=True)
    destruction_date = models.DateField(_("data destroyed by"), null=True, blank=True)

    # The assessment shown when the request was submitted, with the rulebook version it used.
    assessment = models.JSONField(default=dict, blank=True)
    # Pre-screening requests from the committee's secretariat when returned.
    return_reason = models.TextField(_("requests from the secretariat"), blank=True)

    # The committee's decision
    outcome = models.CharField(_("decision"), max_length=30, blank=True)
    decision_reasons = models.TextField(_("reasons"), blank=True)
    decision_conditions = models.TextField(_("conditions"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)

    class Meta:
        verbose_name = _("data-access request")
        verbose_name_plural = _("data-access requests")
        ordering = ["-updated_at"]
        indexes = [
            models.Index(fields=["requester", "-updated_at"], name="data_request_requester"),
            models.Index(fields=["institution", "status", "-submitted_at"], name="data_request_queue"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(term_end__isnull=True)
                | Q(term_start__isnull=True)
                | Q(term_end__gte=models.F("term_start")),
                name="data_request_term_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.reference or self.title


class RequestTeamMember(models.Model):
    """A person who will work with the data. Each accepts the agreement's terms before access
    is granted to them."""

    request = models.ForeignKey(DataAccessRequest, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_request_teams")
    accepted_terms_at = models.DateTimeField(_("accepted the terms"), null=True, blank=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["request", "id"]
        constraints = [models.UniqueConstraint(fields=["request", "user"], name="data_request_team_unique")]

    def __str__(self) -> str:
        return str(self.user)


class RequestReview(ReviewerAssignmentBase):
    """A data access committee member assigned to review a request, and their review."""

    request = models.ForeignKey(DataAccessRequest, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_reviews")

    class Meta:
        verbose_name = _("data-access review")
        verbose_name_plural = _("data-access reviews")
        ordering = ["request", "assigned_at"]
        constraints = [
            # One live review per reviewer and request; a withdrawn one stays on record.
            models.UniqueConstraint(
                fields=["request", "reviewer"], condition=~models.Q(status="withdrawn"), name="data_review_unique"
            )
        ]
        indexes = [models.Index(fields=["reviewer", "completed_at"], name="data_review_reviewer")]

    def __str__(self) -> str:
        return f"{self.reviewer} – {self.request}"


class RequestConflict(ConflictDeclarationBase):
    """A committee member's declared conflict on a request (US-IRB-03). Members of the requesting
    team and of the providing study's team are conflicted whatever they declare (JP-ERC-07)."""

    request = models.ForeignKey(DataAccessRequest, on_delete=models.CASCADE, related_name="conflicts")

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        constraints = [models.UniqueConstraint(fields=["request", "member"], name="data_request_conflict_unique")]

    def __str__(self) -> str:
        return f"{self.member} – {self.request}"


class Signature(models.Model):
    """A signature's manifestation (US-R-01): printed name, date and time, and meaning; the
    password was asked again when it was made."""

    class Party(models.TextChoices):
        PROVIDER = "provider", _("For the provider")
        RECIPIENT = "recipient", _("For the recipient")

    agreement = models.ForeignKey("Agreement", on_delete=models.PROTECT, related_name="signatures")
    party = models.CharField(_("party"), max_length=10, choices=Party.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(_("printed name"), max_length=200)
    signed_at = models.DateTimeField(_("signed"))
    meaning = models.CharField(_("meaning"), max_length=200)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["agreement", "signed_at"]
        constraints = [models.UniqueConstraint(fields=["agreement", "party"], name="agreement_signature_unique")]

    def __str__(self) -> str:
        return f"{self.printed_name} ({self.get_party_display()})"

    @property
    def meaning_label(self) -> str:
        """The meaning in the reader's language when it is one of the signature meanings (US-R-01)."""
        from research_governance.reviews.models import Condition

        labels = dict(Condition.Meaning.choices)
        return str(labels.get(self.meaning, self.meaning))


class Agreement(models.Model):
    """The data-sharing agreement an approved request produces: its term, its document and its
    parties' signatures. Active only while every dataset's ethics approval is active."""

    request = models.OneToOneField(DataAccessRequest, on_delete=models.PROTECT, related_name="agreement")
    reference = models.CharField(_("agreement reference"), max_length=40, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AgreementStatus.choices,
        default=AgreementStatus.AWAITING_SIGNATURES,
        db_index=True,
    )
    term_start = models.DateField(_("term from"))
    term_end = models.DateField(_("term until"))
    destruction_due = models.DateField(_("data to be destroyed by"))
    status_reason = models.TextField(_("reason for the status"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed"))
    # An amendment narrowed a dataset's consent scope: the committee must look at the agreement again.
    needs_re_review = models.BooleanField(_("needs re-review"), default=False, db_index=True)
    re_review_reason = models.TextField(_("why it needs re-review"), blank=True)
    # The agreement document, rendered by the letters machinery.
    document = models.FileField(_("agreement document"), upload_to="agreements/", max_length=300, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    verification_code = models.CharField(_("verification code"), max_length=64, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("data-sharing agreement")
        verbose_name_plural = _("data-sharing agreements")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "term_end"], name="agreement_status_term")]

    def __str__(self) -> str:
        return self.reference


class AccessGrantQuerySet(models.QuerySet["AccessGrant"]):
    def active(self, at: datetime | None = None) -> "AccessGrantQuerySet":
        """Grants in force at ``at``: open, begun, not yet ended, under an active agreement.

        Expiry needs no job: a grant whose end has passed is simply not in this set."""
        at = at or timezone.now()
        return self.filter(
            state=GrantState.OPEN,
            starts_at__lte=at,
            ends_at__gt=at,
            agreement__status=AgreementStatus.ACTIVE,
        )


class AccessGrant(models.Model):
    """One person's access to the data of an agreement, from a start to an end."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_grants")
    state = models.CharField(_("state"), max_length=10, choices=GrantState.choices, default=GrantState.OPEN)
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    end_reason = models.TextField(_("why it ended"), blank=True)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("granted"))

    objects = AccessGrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("access grant")
        verbose_name_plural = _("access grants")
        ordering = ["agreement", "user__email"]
        indexes = [
            models.Index(fields=["user", "state", "ends_at"], name="grant_user_active"),
            models.Index(fields=["agreement", "state"], name="grant_agreement_state"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="grant_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.agreement}"

    def is_active(self, at: datetime | None = None) -> bool:
        at = at or timezone.now()
        return (
            self.state == GrantState.OPEN
            and self.starts_at <= at < self.ends_at
            and self.agreement.status == AgreementStatus.ACTIVE
        )


class DestructionRecord(models.Model):
    """The recipient's record that the data were destroyed at the end of the term."""

    agreement = models.OneToOneField(Agreement, on_delete=models.PROTECT, related_name="destruction")
    destroyed_on = models.DateField(_("destroyed on"))
    destroyed_by = models.CharField(_("destroyed by"), max_length=200)
    method = models.TextField(_("how"))
    evidence = models.TextField(_("evidence"), help_text=_("For example a certificate number or a log reference."))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"))

    class Meta:
        verbose_name = _("destruction record")
        verbose_name_plural = _("destruction records")

    def __str__(self) -> str:
        return f"{self.agreement} – {self.destroyed_on}"


PROVISION_RECORD_YEARS = 3


class ProvisionRecord(models.Model):
    """One provision of data to a recipient (JP-IC-12), kept at least three years."""

    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="provisions")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="provisions")
    provided_on = models.DateField(_("provided on"))
    items = models.TextField(_("items provided"))
    medium = models.CharField(_("medium"), max_length=20, choices=DataAccessRequest.Medium.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("provided by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded"))
    keep_until = models.DateField(_("kept until"))

    class Meta:
        verbose_name = _("provision record")
        verbose_name_plural = _("provision records")
        ordering = ["-provided_on", "-id"]
        indexes = [models.Index(fields=["agreement", "-provided_on"], name="provision_agreement_date")]

    def __str__(self) -> str:
        return f"{self.dataset} → {self.recipient} ({self.provided_on})"

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        # JP-IC-12: kept at least three years after the provision.
        if self.keep_until > timezone.localdate():
            raise TypeError("A provision record is kept until its retention date.")
        return super().delete(*args, **kwargs)


def provision_keep_until(provided_on: date) -> date:
    try:
        return provided_on.replace(year=provided_on.year + PROVISION_RECORD_YEARS)
    except ValueError:  # 29 February
        return provided_on.replace(year=provided_on.year + PROVISION_RECORD_YEARS, day=28)


class SubjectRefusal(models.Model):
    """A subject's refusal of the use of their data (opt-out, JP-IC-10) or withdrawal of consent
    (JP-IC-11), registered against a study. Recipients of every agreement covering the study are
    told and acknowledge."""

    class Kind(models.TextChoices):
        REFUSAL = "refusal", _("Refusal (opt-out)")
        WITHDRAWAL = "withdrawal", _("Withdrawal of consent")

    class Channel(models.TextChoices):
        PUBLIC_FORM = "public_form", _("Public refusal form")
        REGISTERED = "registered", _("Registered by the study team")

    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="refusals")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("received through"), max_length=20, choices=Channel.choices)
    # The study's pseudonymous code for the subject; never a name.
    subject_code = models.CharField(_("subject code"), max_length=60, blank=True)
    # From the public form: how to reach the person, so the team can identify their records.
    contact_name = models.CharField(_("name"), max_length=200, blank=True)
    contact_details = models.CharField(_("how to contact you"), max_length=300, blank=True)
    details = models.TextField(_("details"), blank=True)
    received_at = models.DateTimeField(_("received"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # JP-IC-11: use stops without delay, or the PI records why it cannot.
    handled_at = models.DateTimeField(_("handled"), null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handling_note = models.TextField(_("what was done"), blank=True)
    # What the person who used the public form is given to refer to their request: random, so it
    # says nothing about how many others refused (not the row id).
    receipt = models.CharField(_("receipt number"), max_length=20, unique=True, null=True, blank=True)

    class Meta:
        verbose_name = _("refusal or withdrawal")
        verbose_name_plural = _("refusals and withdrawals")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["protocol", "-received_at"], name="refusal_protocol_received")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.subject_code or self.pk}"


class RefusalAcknowledgement(models.Model):
    """The recipient of one agreement was told of a refusal or withdrawal, and acknowledged it."""

    refusal = models.ForeignKey(SubjectRefusal, on_delete=models.PROTECT, related_name="acknowledgements")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="refusal_acknowledgements")
    notified_at = models.DateTimeField(_("told"))
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("acknowledgement of a refusal")
        verbose_name_plural = _("acknowledgements of refusals")
        constraints = [models.UniqueConstraint(fields=["refusal", "agreement"], name="refusal_ack_unique")]
        indexes = [models.Index(fields=["agreement", "acknowledged_at"], name="refusal_ack_open")]

    def __str__(self) -> str:
        return f"{self.refusal} → {self.agreement}"
