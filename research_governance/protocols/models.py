from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from research_governance.accounts.models import Institution, localized


class ProtocolStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    RETURNED = "returned", _("Returned for changes")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    # After the committee's decision (reviews.workflow.DECISION_PROTOCOL_STATUS).
    AWAITING_PERMISSION = "awaiting_permission", _("Awaiting the head's permission")
    APPROVED = "approved", _("Approved")
    NOT_APPROVED = "not_approved", _("Not approved")
    # Not the rating "not applicable": the study needs no ethics review.
    NOT_APPLICABLE = "not_applicable", pgettext_lazy("protocol status", "Not applicable")
    NOT_PERMITTED = "not_permitted", _("Not permitted by the head")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Closed")
    # The approval's period ended (reviews.services.approval_expire); the research may not continue.
    EXPIRED = "expired", _("Approval expired")


EDITABLE_STATUSES = frozenset({ProtocolStatus.DRAFT, ProtocolStatus.RETURNED})


class Acquisition(models.TextChoices):
    # REGULATORY.md section 2: how samples / information are obtained.
    NEW = "new", _("Newly acquired from participants")
    EXISTING_OWN = "existing_own", _("Existing samples/information held by this institution")
    PROVIDE_TO_OTHER = "provide_to_other", _("Existing samples/information provided from this institution to others")


class Invasiveness(models.TextChoices):
    NONE = "none", _("No invasiveness")
    MINOR = "minor", _("Minor invasiveness")
    INVASIVE = "invasive", _("Invasive")


class Deidentification(models.TextChoices):
    # REGULATORY.md section 4, most to least identifying.
    IDENTIFIED = "identified", _("Identified")
    PSEUDONYMISED = "pseudonymised", _("Coded, key held by the institution (pseudonymised)")
    NON_IDENTIFIABLE = "non_identifiable", _("Non-identifiable, no key")
    ANONYMOUSLY_PROCESSED = "anonymously_processed", _("Anonymously processed information (APPI standard)")
    AGGREGATE = "aggregate", _("Aggregate / statistical")


class ConsentProcedure(models.TextChoices):
    # The procedures of JP-IC-01..08; the rules engine decides which are allowed. Electronic
    # IC counts as written IC for the rules (JP-IC-01) but needs its own materials (JP-IC-12).
    WRITTEN_IC = "written_ic", _("Written informed consent")
    ELECTRONIC_IC = "electronic_ic", _("Electronic informed consent (e-IC)")
    ORAL_IC_WITH_RECORD = "oral_ic_with_record", _("Oral informed consent with a record")
    APPROPRIATE_CONSENT = "appropriate_consent", _("Appropriate consent")
    BROAD_CONSENT_WITH_NOTICE = (
        "broad_consent_with_notice",
        _("Prior broad consent plus notice with a chance to refuse"),
    )
    PSEUDONYMISED_WITH_NOTICE = (
        "pseudonymised_with_notice",
        _("Newly created pseudonymously processed information plus notice"),
    )
    ANONYMOUSLY_PROCESSED = "anonymously_processed", _("Anonymously processed information (no consent needed)")
    OPT_OUT = "opt_out", _("Opt-out (notice or publication, with a chance to refuse)")
    NO_CONSENT_EXCEPTION = "no_consent_exception", _("Without consent under a guideline exception")


class Protocol(models.Model):
    """A research study and its application form. Editable only while a draft;
    each submission freezes a ProtocolVersion."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="protocols")
    reference = models.CharField(_("reference"), max_length=20, unique=True, null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProtocolStatus.choices, default=ProtocolStatus.DRAFT, db_index=True
    )
    principal_investigator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("principal investigator"),
        on_delete=models.PROTECT,
        related_name="protocols_as_pi",
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)
    last_submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    # Optimistic locking of the draft form: two tabs never overwrite each other silently.
    lock_version = models.PositiveIntegerField(default=1)
    # The investigators are preparing an amendment of the approved application: the form is open
    # again while the approval and the version in force stay as they are.
    amendment_open = models.BooleanField(_("amendment in preparation"), default=False)

    # The study
    title_ja = models.CharField(_("title (Japanese)"), max_length=300, blank=True)
    title_en = models.CharField(_("title (English)"), max_length=300, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    planned_start = models.DateField(_("planned start"), null=True, blank=True)
    planned_end = models.DateField(_("planned end"), null=True, blank=True)
    target_participants = models.PositiveIntegerField(_("target number of participants"), null=True, blank=True)
    funding_source = models.TextField(_("funding"), blank=True)
    has_conflict_of_interest = models.BooleanField(_("has a conflict of interest to declare"), null=True, blank=True)
    conflict_of_interest_details = models.TextField(
        _("conflict-of-interest details"), blank=True, help_text=_("Only if you declare a conflict of interest.")
    )
    registry_id = models.CharField(
        _("public registry ID"), max_length=60, blank=True, help_text=_("jRCT or UMIN-CTR number (JP-R-06).")
    )
    progress_report_interval_months = models.PositiveSmallIntegerField(
        _("progress report interval (months)"), default=12, help_text=_("JP-R-01: institution default 12 months.")
    )

    # The facts the rules need (REGULATORY.md section 2)
    acquisition = models.CharField(
        _("how samples/information are obtained"), max_length=20, choices=Acquisition.choices, blank=True
    )
    uses_samples = models.BooleanField(_("uses human biological samples"), null=True, blank=True)
    invasiveness = models.CharField(_("invasiveness"), max_length=10, choices=Invasiveness.choices, blank=True)
    interventional = models.BooleanField(_("interventional"), null=True, blank=True)
    special_care_personal_info = models.BooleanField(
        _("acquires special-care personal information"), null=True, blank=True
    )
    deidentification = models.CharField(
        _("de-identification level"), max_length=30, choices=Deidentification.choices, blank=True
    )
    personally_referable = models.BooleanField(
        _("also uses personally referable information"),
        default=False,
        help_text=_("Information about a living person that is not personal information, such as cookie IDs (APPI)."),
    )
    consent_procedure = models.CharField(
        _("consent procedure"), max_length=30, choices=ConsentProcedure.choices, blank=True
    )
    consent_exception_requested = models.BooleanField(
        _("ask the committee for an exception to the consent rules"),
        default=False,
        help_text=_("Only if the procedure you need is not among those allowed; the committee decides."),
    )
    consent_exception_justification = models.TextField(
        _("justification for the exception"),
        blank=True,
        help_text=_("Why consent cannot be obtained as the rules require, and how participants are protected."),
    )
    opt_out_notice_text = models.TextField(
        _("opt-out notice text"),
        blank=True,
        help_text=_("Only for opt-out: the notice published while the study runs (JP-IC-10)."),
    )

    # AI and machine learning on participants' data
    uses_ai = models.BooleanField(_("uses AI or machine learning on participants' data"), null=True, blank=True)
    ai_purpose = models.TextField(
        _("what the AI is used for"), blank=True, help_text=_("Only if AI or machine learning is used.")
    )
    ai_trains_on_identifiable_data = models.BooleanField(
        _("identifiable data are used to train a model"), null=True, blank=True
    )
    ai_uses_external_service = models.BooleanField(_("data are sent to an external AI service"), null=True, blank=True)

    class Meta:
        verbose_name = _("protocol")
        verbose_name_plural = _("protocols")
        ordering = ["-updated_at"]
        permissions = [("submit_protocol", "Can submit the protocol")]
        indexes = [
            models.Index(fields=["institution", "status", "-updated_at"], name="protocol_inst_status_updated"),
            models.Index(fields=["principal_investigator", "-updated_at"], name="protocol_pi_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="protocol_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title or str(self.reference or self.pk)

    @property
    def title(self) -> str:
        return localized(self.title_ja, self.title_en)

    @property
    def is_editable(self) -> bool:
        # A draft, an application returned with requests to answer, or an amendment being prepared.
        return self.status in EDITABLE_STATUSES or self.amendment_open


class ProtocolUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Protocol, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        # guardian's unique (user, permission, object) index serves the permission checks;
        # this one answers "how many rows, and the newest" for a user from the index alone.
        indexes = [models.Index(fields=["user", "id"], name="protocol_perm_user_id")]


class DashboardStamp(models.Model):
    """A fresh random token whenever anything on a user's list of protocols may have changed:
    a protocol of theirs was written to, or they gained or lost access. Cached dashboards
    are keyed on it, so a change is visible at once, across every server process."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.token}"


class ProtocolGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Protocol, on_delete=models.CASCADE)


class TeamMember(models.Model):
    class Role(models.TextChoices):
        CO_INVESTIGATOR = "co_investigator", _("Co-investigator")
        COORDINATOR = "coordinator", _("Research coordinator")
        STATISTICIAN = "statistician", _("Statistician")
        STAFF = "staff", _("Research staff")

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CO_INVESTIGATOR)
    can_edit = models.BooleanField(
        _("may edit and submit"), default=False, help_text=_("Delegated by the PI to edit and submit the application.")
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["protocol", "user"], name="team_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class Site(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="sites")
    name = models.CharField(_("institution"), max_length=200)
    # A site at an institution that uses this system: its head permits for the site here (JP-ERC-12).
    institution = models.ForeignKey(
        Institution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="study_sites",
        verbose_name=_("institution registered here"),
    )
    site_investigator = models.CharField(_("site investigator"), max_length=150, blank=True)
    is_lead = models.BooleanField(_("lead site"), default=False)

    class Meta:
        verbose_name = _("participating site")
        verbose_name_plural = _("participating sites")
        ordering = ["-is_lead", "id"]
        constraints = [
            models.UniqueConstraint(fields=["protocol"], condition=Q(is_lead=True), name="site_one_lead_per_protocol")
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        # A registered institution's name in the reader's language; otherwise the name typed in.
        return self.institution.name if self.institution is not None else self.name


class DataRecipient(models.Model):
    """Anyone outside the institution who receives samples or information,
    including an external AI service (a recipient like any other)."""

    class Kind(models.TextChoices):
        RESEARCH_INSTITUTION = "research_institution", _("Research institution")
        COMPANY = "company", _("Company")
        EXTERNAL_AI_SERVICE = "external_ai_service", _("External AI service")

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="recipients")
    name = models.CharField(_("recipient"), max_length=200)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, default=Kind.RESEARCH_INSTITUTION)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166-1 alpha-2 code, e.g. US."))
    equivalent_measures = models.BooleanField(
        _("keeps an equivalent-protection system"),
        default=False,
        help_text=_("By contract or internal rules (JP-IC-09, XB-01)."),
    )

    class Meta:
        verbose_name = _("data recipient")
        verbose_name_plural = _("data recipients")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.country})"


class DocumentKind(models.TextChoices):
    PROTOCOL = "protocol", _("Research protocol")
    CONSENT_FORM = "consent_form", _("Consent form and explanation")
    E_IC_MATERIALS = "e_ic_materials", _("Electronic consent method and materials")
    OPT_OUT_NOTICE = "opt_out_notice", _("Opt-out notice")
    INVESTIGATOR_BROCHURE = "investigator_brochure", _("Investigator brochure")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")
    COI_FORM = "coi_form", _("Conflict-of-interest form")
    OTHER = "other", _("Other")


class Document(models.Model):
    """A typed document of a protocol. Replacing it adds a version; nothing is overwritten."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document type"), max_length=30, choices=DocumentKind.choices)
    title = models.CharField(_("title"), max_length=200)
    current_version = models.ForeignKey(
        "DocumentVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("removed from the application"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["kind", "id"]
        indexes = [models.Index(fields=["protocol", "kind"], name="document_protocol_kind")]

    def __str__(self) -> str:
        return self.title


def document_upload_path(instance: "DocumentVersion", filename: str) -> str:
    # The stored name is ours, never the uploader's: the original name is kept as data.
    document = instance.document
    return f"protocols/{document.protocol_id}/documents/{document.pk}/v{instance.number}-{instance.sha256[:16]}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(upload_to=document_upload_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-number"]
        constraints = [models.UniqueConstraint(fields=["document", "number"], name="document_version_unique")]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("A document version is immutable; upload a new version instead.")
        super().save(*args, **kwargs)


class ProtocolVersion(models.Model):
    """The application exactly as submitted: the form and the document versions. Immutable."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    snapshot = models.JSONField()
    document_versions = models.ManyToManyField(DocumentVersion, related_name="protocol_versions")
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")
        ordering = ["protocol", "-number"]
        constraints = [models.UniqueConstraint(fields=["protocol", "number"], name="protocol_version_unique")]

    def __str__(self) -> str:
        return f"{self.protocol} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError("A submitted version is immutable.")
        super().save(*args, **kwargs)
