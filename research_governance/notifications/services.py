"""Notifying people of each step, and sending the emails.

Notifications are not business events, so these services write no audit events: the step that
causes a notification (``submission.accepted``, say) is audited by the service that takes it,
and a notification can always be rebuilt from that. Read marks are personal, not governance.

The rows are an outbox. Callers use ``notify`` inside their own transaction, so a notification
exists exactly when the change that causes it does. After commit the ``deliver_notifications`` task
emails the rows of recipients who want immediate emails; ``send_digest`` emails the others once a
day. Sending is idempotent: a row is claimed with a conditional UPDATE of ``emailed_at`` before its
email goes out, so a task that runs twice (a retry, a redelivery, the periodic re-dispatch of rows
left pending while the broker was down) never sends it twice.
"""

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from research_governance.accounts.models import NotificationMode, User
from research_governance.core import caching
from research_governance.core.site import absolute_url, site_url

from . import messages, selectors
from .models import Notification, NotificationPreference
from .selectors import unread_cache_key

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Research Governance] "


class DeliveryFailed(Exception):
    """Some emails could not be sent; their notifications stay unsent, so running ``deliver`` again retries them."""

    def __init__(self, notification_ids: list[int]) -> None:
        super().__init__(f"Could not email notifications {notification_ids}")
        self.notification_ids = notification_ids


def is_local_path(link: str) -> bool:
    """A path on this site. Browsers read "//host" and "/\\host" as other hosts, and drop tabs and
    newlines ("/\\t/host"), so those are refused, as is any other whitespace or control character."""
    return (
        link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and not any(char.isspace() or not char.isprintable() for char in link)
    )


@dataclass(frozen=True)
class Notice:
    """One notification to several people: what ``notify_many`` records in bulk."""

    recipients: Iterable[User]
    kind: str
    params: Mapping[str, Any]
    link: str = ""
    protocol: models.Model | None = None
    # Instead of ``protocol``, where only the id is at hand (the hand-offs).
    protocol_id: int | None = None


# Ids per delivery task: a scan that notifies thousands queues a few hundred tasks, not thousands.
DELIVERY_CHUNK = 100


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    params: Mapping[str, Any],
    link: str = "",
    protocol: models.Model | None = None,
) -> list[Notification]:
    """Record one notification per active recipient and email them after the caller's transaction commits.

    Inactive users and repeated recipients are skipped. An unknown kind, missing parameters or a
    link that is not a local path raise ValueError: they are programming errors.
    """
    return notify_many([Notice(recipients=recipients, kind=kind, params=params, link=link, protocol=protocol)])


def notify_many(notices: Iterable[Notice]) -> list[Notification]:
    """``notify`` for many notices at once: one INSERT and one after-commit callback for all of them
    (the daily reminder scan tells thousands of people in one transaction)."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the email would go out even if the caller's change later failed.
        raise RuntimeError("notify must be called inside the transaction that makes the change.")
    now = timezone.now()
    rows: list[Notification] = []
    recipients: dict[int, User] = {}
    for notice in notices:
        stored = messages.clean_params(notice.kind, notice.params)
        if notice.link and not is_local_path(notice.link):
            raise ValueError(f"A notification link must be a path on this site, not {notice.link!r}")
        unique: dict[int, User] = {}
        for user in notice.recipients:
            if user.is_active and user.pk not in unique:
                unique[user.pk] = user
        for user in unique.values():
            recipients[user.pk] = user
            rows.append(
                Notification(
                    recipient=user,
                    kind=notice.kind,
                    params=stored,
                    link=notice.link,
                    protocol_id=notice.protocol.pk if notice.protocol is not None else notice.protocol_id,
                    created_at=now,
                )
            )
    if not rows:
        return []
    # One INSERT; PostgreSQL (and SQLite >= 3.35) return the ids that deliver needs.
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    # Rows of kinds the recipient wants in the digest wait for it; one query for everybody's choices.
    modes = selectors.effective_modes(recipients.values())
    ids = [n.pk for n in created if selectors.mode_for(modes, n.recipient_id, n.kind) == NotificationMode.IMMEDIATE]
    forget_unread_counts(recipients)

    from . import tasks  # here, not at the top: the tasks module imports this one

    # A broker that is down (or, inline, a mail server that is down) must not turn a committed
    # change into an error page: delay_on_commit logs it, the rows stay pending, and
    # redispatch_pending sends them once the broker is back.
    for index in range(0, len(ids), DELIVERY_CHUNK):
        chunk = ids[index : index + DELIVERY_CHUNK]
        tasks.deliver_notifications.delay_on_commit(chunk)
    return created


def deliver(notification_ids: Iterable[int]) -> int:
    """Email the notifications not emailed yet, each in its recipient's language. Returns how many were sent.

    Rows of a kind the recipient wants in the daily digest are skipped: ``send_digest`` emails them.

    Idempotent: each notification is claimed with a conditional UPDATE of ``emailed_at`` before it
    is sent, so a second run, or a concurrent one (a redelivered task), never sends it again. If
    sending fails, the claim is released and DeliveryFailed is raised after the others were tried.
    """
    pending = list(
        Notification.objects.filter(pk__in=list(notification_ids), emailed_at__isnull=True)
        .select_related("recipient")
        .order_by("pk")
    )
    # A user deactivated since being notified gets no email; the row stays unsent.
    pending = [n for n in pending if n.recipient.is_active and n.recipient.email]
    modes = selectors.effective_modes({n.recipient for n in pending})
    pending = [n for n in pending if selectors.mode_for(modes, n.recipient_id, n.kind) == NotificationMode.IMMEDIATE]
    if not pending:
        return 0
    # Before claiming anything: without SITE_URL no email could link to its item, so the rows stay
    # pending (the re-dispatch sends them once it is set) and the error says what to set.
    site_url()
    sent = 0
    failed: list[int] = []
    with mail.get_connection() as connection:
        for notification in pending:
            claimed_at = timezone.now()
            claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
                emailed_at=claimed_at
            )
            if claimed != 1:
                continue  # Another run sent it (or is sending it) already.
            try:
                _email(notification, connection).send()
            except Exception:
                logger.exception("Could not email notification %s", notification.pk)
                Notification.objects.filter(pk=notification.pk, emailed_at=claimed_at).update(emailed_at=None)
                failed.append(notification.pk)
            else:
                sent += 1
    if failed:
        raise DeliveryFailed(failed)
    return sent


def _email(notification: Notification, connection: Any) -> mail.EmailMultiAlternatives:
    recipient = notification.recipient
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        subject = notification.subject
        context = {
            "recipient": recipient,
            "name": recipient.display_name,
            "subject": subject,
            "body": notification.body,
            # Absolute (SITE_URL is required outside DEBUG, core.site); a notification without a
            # link points to the list, where it is.
            "url": absolute_url(notification.link or reverse("notifications:list")),
        }
        text = render_to_string("notifications/email.txt", context)
        html = render_to_string("notifications/email.html", context)
    message = mail.EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


# A digest lists this many notifications; the rest are in the app.
DIGEST_MAX_LISTED = 50


def send_digest(*, user_id: int) -> int:
    """Email one digest with all of a person's notifications not emailed yet of the kinds they want
    in the digest, in their language. Returns how many notifications it covered (0: nothing to send).

    The rows are claimed together with one conditional UPDATE that stamps them with this run's
    time; a second run, or a concurrent one, finds nothing left to claim. If sending fails, the
    claim is released and DeliveryFailed is raised, so the next run sends them.
    """
    recipient = User.objects.filter(pk=user_id, is_active=True).exclude(email="").first()
    if recipient is None:
        return 0
    site_url()  # as in deliver: refuse before claiming, with the reason
    claimed_at = timezone.now()
    unsent = Notification.objects.filter(recipient=recipient, emailed_at__isnull=True)
    # The kinds that go to the digest: those chosen so, and, when the general choice is the
    # digest, every kind not chosen otherwise.
    chosen = dict(NotificationPreference.objects.filter(user=recipient).values_list("kind", "mode"))
    if recipient.notification_mode == NotificationMode.DIGEST:
        unsent = unsent.exclude(kind__in=[k for k, mode in chosen.items() if mode != NotificationMode.DIGEST])
    else:
        unsent = unsent.filter(kind__in=[k for k, mode in chosen.items() if mode == NotificationMode.DIGEST])
    if not unsent.update(emailed_at=claimed_at):
        return 0
    claimed = list(Notification.objects.filter(recipient=recipient, emailed_at=claimed_at).order_by("created_at", "pk"))
    try:
        _digest_email(recipient, claimed).send()
    except Exception as error:
        logger.exception("Could not email the digest of user %s", recipient.pk)
        ids = [n.pk for n in claimed]
        Notification.objects.filter(pk__in=ids, emailed_at=claimed_at).update(emailed_at=None)
        raise DeliveryFailed(ids) from error
    return len(claimed)


def _digest_email(recipient: User, notifications: list[Notification]) -> mail.EmailMultiAlternatives:
    with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
        count = len(notifications)
        subject = translation.ngettext(
            "Your daily digest: %(count)d notification", "Your daily digest: %(count)d notifications", count
        ) % {"count": count}
        listed = [
            {
                "subject": n.subject,
                "body": n.body,
                "created_at": n.created_at,
                "url": absolute_url(n.link or reverse("notifications:list")),
            }
            for n in notifications[:DIGEST_MAX_LISTED]
        ]
        context = {
            "name": recipient.display_name,
            "subject": subject,
            "notifications": listed,
            "more": count - len(listed),
            "list_url": absolute_url(reverse("notifications:list")),
            "preferences_url": absolute_url(reverse("notifications:preferences")),
        }
        text = render_to_string("notifications/digest.txt", context)
        html = render_to_string("notifications/digest.html", context)
    message = mail.EmailMultiAlternatives(
        subject=SUBJECT_PREFIX + subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient.email]
    )
    message.attach_alternative(html, "text/html")
    return message


def notification_mode_update(*, user: User, mode: str) -> User:
    """A person chooses immediate emails or the daily digest, for themself only (the caller is
    the signed-in user). Rows already pending follow the new choice: the digest or the re-dispatch."""
    if mode not in NotificationMode.values:
        raise ValueError(f"Unknown notification mode {mode!r}")
    User.objects.filter(pk=user.pk).update(notification_mode=mode)
    user.notification_mode = mode
    return user


def notification_preferences_update(*, user: User, mode: str, kinds: Mapping[str, str]) -> User:
    """A person chooses, for themself only (the caller is the signed-in user), their general way
    of being emailed and, kind by kind, an exception: ``kinds`` maps a kind to "immediate",
    "digest", or "" for "as my general choice" (its row is removed). Kinds not in ``kinds`` keep
    their choice. Rows already pending follow the new choice: the digest or the re-dispatch.

    Raises ValueError for an unknown mode or kind (the form offers only known ones)."""
    if mode not in NotificationMode.values:
        raise ValueError(f"Unknown notification mode {mode!r}")
    for kind, choice in kinds.items():
        if kind not in messages.MESSAGES:
            raise ValueError(f"Unknown notification kind {kind!r}")
        if choice and choice not in NotificationMode.values:
            raise ValueError(f"Unknown notification mode {choice!r} for {kind!r}")
    with transaction.atomic():
        # The UPDATE locks the person's row first: two tabs saving at once do not interleave their rows.
        User.objects.filter(pk=user.pk).update(notification_mode=mode)
        NotificationPreference.objects.filter(user=user, kind__in=[k for k, c in kinds.items() if not c]).delete()
        chosen = {kind: choice for kind, choice in kinds.items() if choice}
        existing = {p.kind: p for p in NotificationPreference.objects.filter(user=user, kind__in=chosen)}
        changed = []
        for kind, choice in chosen.items():
            if kind in existing and existing[kind].mode != choice:
                existing[kind].mode = choice
                changed.append(existing[kind])
        NotificationPreference.objects.bulk_update(changed, ["mode"])
        NotificationPreference.objects.bulk_create(
            [NotificationPreference(user=user, kind=kind, mode=c) for kind, c in chosen.items() if kind not in existing]
        )
    user.notification_mode = mode
    return user


def forget_unread_counts(user_ids: Iterable[int]) -> None:
    """Drop the cached navbar counts (``core.caching.forget``)."""
    caching.forget(unread_cache_key(user_id) for user_id in user_ids)


def mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one notification read. Only its recipient may."""
    if notification.recipient_id != by.pk:
        raise PermissionDenied
    if notification.read_at is None:
        now = timezone.now()
        # Conditional, so a second click (or tab) keeps the first time it was read.
        if Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now):
            notification.read_at = now
            forget_unread_counts([by.pk])
        else:
            notification.refresh_from_db(fields=["read_at"])
    return notification


def mark_all_read(*, user: User) -> int:
    """Mark all of a user's unread notifications read. Returns how many changed."""
    changed = Notification.objects.filter(recipient=user, read_at__isnull=True).update(read_at=timezone.now())
    forget_unread_counts([user.pk])
    return changed
