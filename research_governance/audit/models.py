from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AppendOnlyQuerySet(models.QuerySet):
    """Refuses bulk changes. On PostgreSQL a trigger refuses them in the database too (SEC-05)."""

    def update(self, **kwargs: object) -> int:
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self.model._meta.verbose_name_plural} are append-only.")


class AppendOnlyModel(models.Model):
    """A row is written once and never changed or deleted (SEC-04, SEC-05)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise TypeError(f"{self._meta.verbose_name_plural} are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise TypeError(f"{self._meta.verbose_name_plural} are append-only.")


# Kept under its old name: code and tests refer to it.
AuditEventQuerySet = AppendOnlyQuerySet


class AuditEvent(AppendOnlyModel):
    """A business event (``protocol.submitted``), never a row diff (US-R-02, SEC-05).

    Append-only: each event stores the previous event's hash and its own SHA-256 over
    a canonical serialisation, so any later change to a stored event is detectable.
    """

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=80)
    target_type = models.CharField(_("object type"), max_length=80)
    target_id = models.CharField(_("object id"), max_length=64)
    # The protocol the event belongs to, so a protocol's history is one indexed query.
    protocol = models.ForeignKey(
        "protocols.Protocol",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    # The institution whose records the event belongs to: its auditors read it, no one else's do.
    institution = models.ForeignKey(
        "accounts.Institution",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]
        # Each filter of the audit view, with the id it is paged by (newest first, keyset).
        indexes = [
            models.Index(fields=["target_type", "target_id", "id"], name="audit_target_id"),
            models.Index(fields=["protocol", "id"], name="audit_protocol_id"),
            models.Index(fields=["actor", "id"], name="audit_actor_id"),
            models.Index(fields=["action", "id"], name="audit_action_id"),
            models.Index(fields=["institution", "id"], name="audit_institution_id"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action}"


class AccessKind(models.TextChoices):
    SIGN_IN = "sign_in", _("Signed in")
    SIGN_OUT = "sign_out", _("Signed out")
    SIGN_IN_FAILED = "sign_in_failed", _("Sign-in failed")
    DOCUMENT_DOWNLOAD = "document_download", _("Document downloaded")
    PROTOCOL_VIEW = "protocol_view_outside_team", _("Protocol viewed from outside its team")


class AccessLogEntry(AppendOnlyModel):
    """Who came in, for how long, and which records they opened (SEC-04). Append-only like the audit trail.

    Not hash-chained: it is written on every sign-in and download, outside any business
    transaction, and must not contend for the audit chain's lock. The database trigger protects it.
    """

    occurred_at = models.DateTimeField(_("time"), db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The email the person signed in with, or tried to (a failed sign-in has no user).
    identifier = models.CharField(_("user"), max_length=254, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=AccessKind.choices)
    # SHA-256 of the session key: ties a sign-out to its sign-in without storing a usable key.
    session_key_hash = models.CharField(_("session"), max_length=64, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=255, blank=True)
    target_type = models.CharField(_("object type"), max_length=80, blank=True)
    target_id = models.CharField(_("object id"), max_length=64, blank=True)
    # Only on sign-out: a session that ended by timeout has no sign-out and so no duration.
    session_duration = models.DurationField(_("session length"), null=True, blank=True)

    class Meta:
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log entries")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["user", "id"], name="access_user_id"),
            models.Index(fields=["kind", "id"], name="access_kind_id"),
            models.Index(fields=["identifier", "id"], name="access_identifier_id"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.kind} {self.identifier}"
