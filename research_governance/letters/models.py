"""Decision letters: the PDF a decision or the head's permission is reported in.

A letter is never overwritten. A corrected letter is a new row, one version up, naming the letter
it replaces; the PDF's SHA-256 and an unguessable verification code let anyone holding a copy
check it on the public verification page. The PDF is private: it is streamed only to those who may
view the protocol, never served from a URL of the media folder."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from research_governance.reviews.models import Condition


class LetterKind(models.TextChoices):
    # The committee's decision (its opinion under JP-ERC-13).
    DECISION = "decision", _("Notice of the committee's decision")
    # The head of institution's permission, or refusal, after the committee's opinion (JP-ERC-13).
    PERMISSION = "permission", _("Notice of permission")
    REFUSAL = "refusal", _("Notice of refusal of permission")


# In the reference: L2026-C000012-JA is the committee's letter on decision 12, in Japanese.
KIND_CODES = {LetterKind.DECISION: "C", LetterKind.PERMISSION: "P", LetterKind.REFUSAL: "R"}


class LetterLanguage(models.TextChoices):
    JA = "ja", "日本語"
    EN = "en", "English"


def letter_upload_path(letter: "Letter", filename: str) -> str:
    # Named after the reference; the folder is per protocol. Never served: see views.letter_download.
    return f"letters/{letter.protocol_id}/{filename}"


class Letter(models.Model):
    decision = models.ForeignKey("reviews.Decision", on_delete=models.PROTECT, related_name="letters")
    # The decision's protocol, kept here so a permission check needs no joins.
    protocol = models.ForeignKey("protocols.Protocol", on_delete=models.PROTECT, related_name="letters")
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    language = models.CharField(_("language"), max_length=2, choices=LetterLanguage.choices)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    reference = models.CharField(_("reference"), max_length=60, unique=True)
    verification_code = models.CharField(_("verification code"), max_length=64, unique=True)
    file = models.FileField(upload_to=letter_upload_path, max_length=300)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("issued"))
    # The electronic signature shown on the letter (US-R-01): printed name, date and time, meaning.
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signer_name = models.CharField(_("printed name"), max_length=200)
    signer_title = models.CharField(_("signed as"), max_length=200, blank=True)
    signed_at = models.DateTimeField(_("signed"))
    signature_meaning = models.CharField(
        _("meaning of the signature"), max_length=20, choices=Condition.Meaning.choices
    )

    class Meta:
        verbose_name = _("decision letter")
        verbose_name_plural = _("decision letters")
        ordering = ["protocol", "decision", "kind", "language", "version"]
        constraints = [
            # One chain per decision, kind and language: a redelivered task finds the letter made.
            models.UniqueConstraint(
                fields=["decision", "kind", "language"],
                condition=models.Q(replaces__isnull=True),
                name="letter_one_original",
            ),
            models.UniqueConstraint(fields=["decision", "kind", "language", "version"], name="letter_version_unique"),
            models.CheckConstraint(
                condition=(models.Q(version=1) & models.Q(replaces__isnull=True))
                | (models.Q(version__gt=1) & models.Q(replaces__isnull=False)),
                name="letter_version_names_the_replaced",
            ),
        ]
        indexes = [models.Index(fields=["decision", "kind", "language", "-version"], name="letter_latest")]

    def __str__(self) -> str:
        return self.reference

    @property
    def file_name(self) -> str:
        return f"{self.reference}.pdf"
