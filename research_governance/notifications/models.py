from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import NotificationMode

from . import messages


class Notification(models.Model):
    """One message to one person: shown in the in-app list and sent by email (the outbox).

    The text is not stored: ``kind`` and ``params`` are, and ``messages`` renders them in the
    reader's language when the list is shown or the email is sent.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=64)
    params = models.JSONField(_("parameters"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    # A path on this site ("/protocols/12/"), never an absolute URL: the read view redirects to it.
    link = models.CharField(_("link"), max_length=500, blank=True)
    # For filtering a protocol's notifications; no database constraint, like the audit trail's.
    protocol = models.ForeignKey(
        "protocols.Protocol",
        verbose_name=_("protocol"),
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    # Set when the email is claimed for sending; a conditional UPDATE on it makes sending idempotent.
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list page: one person's notifications, newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_recent"),
            # The navbar's unread count runs on every page; a partial index holds only unread rows.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="notification_unread"),
            # The outbox's periodic jobs look for rows not emailed yet; once sent, a row leaves the index.
            models.Index(fields=["created_at"], condition=Q(emailed_at__isnull=True), name="notification_unsent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"

    @property
    def subject(self) -> str:
        """The subject in the active language."""
        return messages.render_subject(self.kind, self.params)

    @property
    def body(self) -> str:
        """The body in the active language."""
        return messages.render_body(self.kind, self.params)

    @property
    def is_unread(self) -> bool:
        return self.read_at is None


class Handoff(models.Model):
    """That one person was told once that one step waits for them (``handoff.announce``).

    ``key`` is the work item's key: a new round, condition or meeting is a new key. The unique
    pair makes announcing idempotent: a service that announces twice, a task delivered twice, or
    a scan that runs again finds the marker and tells nobody again.
    """

    key = models.CharField(_("step"), max_length=200)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("told"), default=timezone.now)

    class Meta:
        verbose_name = _("hand-off")
        verbose_name_plural = _("hand-offs")
        constraints = [models.UniqueConstraint(fields=["key", "recipient"], name="handoff_once_per_person")]

    def __str__(self) -> str:
        return f"{self.key} → {self.recipient_id}"


class NotificationPreference(models.Model):
    """One person's choice for one kind of notification: an email as it happens or the daily
    digest. Without a row the kind follows the person's general choice (``User.notification_mode``).
    Written only by ``services.notification_preferences_update``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    kind = models.CharField(_("kind"), max_length=64)
    mode = models.CharField(_("emails"), max_length=10, choices=NotificationMode.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="notification_preference_once")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.mode}"


class InboxItem(models.Model):
    """One step pending on one protocol or data-access request, as ``core.work`` finds it: the
    inbox (``inbox``) keeps what each person's "Waiting for you" shows, so the home reads one
    indexed page instead of asking every workflow. Derived data only: ``inbox.rebuild_all``
    makes it again from the workflows at any time.

    ``subject`` is what the workflows' ``about`` finds the item by; every change to a subject
    replaces its items (``inbox.refresh``), in the transaction that made the change.
    """

    key = models.CharField(max_length=200, unique=True)
    source = models.CharField(max_length=40)
    step_code = models.CharField(max_length=80)
    # The declared actor (``NextActor``), for "Waiting for others".
    actor = models.CharField(max_length=20)
    # Indexed by ``inbox_item_protocol_since``.
    protocol_id = models.IntegerField(null=True, blank=True)
    request_id = models.IntegerField(null=True, blank=True, db_index=True)
    institution_id = models.IntegerField()
    reference = models.CharField(max_length=200, blank=True)
    title = models.JSONField(default=dict)
    link = models.CharField(max_length=500)
    since = models.DateTimeField()
    due = models.DateField(null=True, blank=True)
    # {"ja": ..., "en": ...}, or {} when the step has no detail.
    detail = models.JSONField(default=dict, blank=True)
    extra = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    rank = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("pending item")
        verbose_name_plural = _("pending items")
        indexes = [models.Index(fields=["protocol_id", "-since"], name="inbox_item_protocol_since")]

    def __str__(self) -> str:
        return self.key


class InboxEntry(models.Model):
    """One pending item in one person's "Waiting for you", under the role they act in.

    The order columns repeat the item's, so a page of someone's work is one index range
    (``inbox_entry_home_order``: ``core.work.home_order``) whatever their volume.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="entries")
    # The role the person acts in (``NextActor``) and its place in ``core.work.ACTOR_ORDER``.
    actor = models.CharField(max_length=20)
    actor_rank = models.SmallIntegerField()
    due = models.DateField(null=True, blank=True)
    since = models.DateTimeField()
    step_code = models.CharField(max_length=80)
    rank = models.BigIntegerField(default=0)
    key = models.CharField(max_length=200)

    class Meta:
        verbose_name = _("inbox entry")
        verbose_name_plural = _("inbox entries")
        constraints = [models.UniqueConstraint(fields=["user", "item"], name="inbox_entry_once_per_person")]
        indexes = [
            models.Index(
                fields=["user", "actor_rank", "due", "since", "step_code", "rank", "key"],
                name="inbox_entry_home_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} → {self.user_id}"


class InboxItemProtocol(models.Model):
    """A protocol that a pending item of several subjects takes part in (a meeting's agenda:
    ``WorkItem.spans``), so its team finds the item under "Waiting for others"."""

    item = models.ForeignKey(InboxItem, on_delete=models.CASCADE, related_name="spans")
    protocol_id = models.IntegerField(db_index=True)

    class Meta:
        verbose_name = _("protocol of a pending item")
        verbose_name_plural = _("protocols of pending items")
        constraints = [models.UniqueConstraint(fields=["item", "protocol_id"], name="inbox_item_protocol_once")]

    def __str__(self) -> str:
        return f"{self.item_id} → {self.protocol_id}"
