from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderKind(models.TextChoices):
    APPROVAL_EXPIRY = "approval_expiry", _("Approval ending")
    PROGRESS_REPORT = "progress_report", _("Progress report due (JP-R-01)")
    CONDITIONS_UNANSWERED = "conditions_unanswered", _("Conditions not answered")
    REVIEW_OVERDUE = "review_overdue", _("Review overdue")
    AGREEMENT_TERM_END = "agreement_term_end", _("Data-sharing agreement ending")
    DESTRUCTION_RECORD = "destruction_record", _("Destruction of shared data not recorded")
    # Any pending step of any workflow (core.work) that falls due soon or is overdue.
    WORK_DUE = "work_due", _("Step falling due or overdue")


class Reminder(models.Model):
    """One reminder sent: the record that makes the daily scan send it once.

    The key is the object reminded about, the kind, the threshold ("90" days before, "0" on the
    day, "overdue") and the date the thing falls due. The due date is part of the key because it
    moves: each progress report sets the next one's due date (JP-R-01) and a reviewer's due date
    can be extended; a reminder is owed again for the new date, never twice for the same one.
    """

    # The object's model label ("reviews.approval") and id: no foreign key, so one table serves
    # every kind (and data agreements, once they exist) and keeps its record if the object goes.
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.BigIntegerField(_("object id"))
    kind = models.CharField(_("kind"), max_length=40, choices=ReminderKind.choices)
    threshold = models.CharField(_("threshold"), max_length=10)
    due_on = models.DateField(_("falls due on"))
    # For a protocol's history; no database constraint, like the audit trail's.
    protocol = models.ForeignKey(
        "protocols.Protocol",
        verbose_name=_("protocol"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The scan's "now" (injectable, so a missed day can be run later) and the wall-clock time.
    scan_at = models.DateTimeField(_("scan time"))
    sent_at = models.DateTimeField(_("sent"))

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "kind", "threshold", "due_on"], name="reminder_once"
            )
        ]
        # The scan reads back the reminders already sent for the due dates it finds.
        indexes = [models.Index(fields=["kind", "threshold", "due_on"], name="reminder_kind_due")]

    def __str__(self) -> str:
        return f"{self.kind} {self.threshold} – {self.object_type} {self.object_id}"
