from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
