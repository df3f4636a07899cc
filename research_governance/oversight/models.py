"""What the oversight app records: an auditor's check of each approval ("auditors check every
approval"). Written only by ``services.approval_check_record``; everything else here is read."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApprovalCheck(models.Model):
    """An auditor's check of one approval: its decision, conditions, permission and letters.

    One per approval: once an auditor has checked it, it waits for no other auditor."""

    class Findings(models.TextChoices):
        NONE = "none", _("No findings")
        FINDINGS = "findings", _("Findings")

    approval = models.OneToOneField(
        "reviews.Approval", on_delete=models.PROTECT, related_name="audit_check", verbose_name=_("approval")
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("checked by")
    )
    checked_at = models.DateTimeField(_("checked"))
    findings = models.CharField(_("findings"), max_length=10, choices=Findings.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("approval check")
        verbose_name_plural = _("approval checks")

    def __str__(self) -> str:
        return f"{self.approval} – {self.get_findings_display()}"
