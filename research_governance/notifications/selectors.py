"""Reads of notifications: for the list page and the navbar, and the outbox's work lists."""

from datetime import datetime

from django.core.cache import cache
from django.db.models import Exists, OuterRef, QuerySet

from research_governance.accounts.models import NotificationMode, User

from .models import Notification


def unread_cache_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread, for the navbar on every page.

    Cached per user; the services that create or read notifications forget the number
    (on commit), so the badge is never stale and most pages run no COUNT at all."""
    if not user.is_authenticated:
        return 0
    key = unread_cache_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
        cache.set(key, count, 3600)
    return count


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first.

    Rows render their text from their own columns, so a page needs no further queries per row;
    the protocol is deliberately not joined (templates use ``link``).
    """
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def notification_ids_awaiting_email(
    *, created_before: datetime, created_after: datetime
) -> QuerySet[Notification, int]:
    """Ids of notifications still to be emailed one by one: not emailed, recipient active, with an
    address, and wanting immediate emails. One query; the partial index holds only unsent rows."""
    return (
        Notification.objects.filter(
            emailed_at__isnull=True,
            created_at__lt=created_before,
            created_at__gte=created_after,
            recipient__is_active=True,
            recipient__notification_mode=NotificationMode.IMMEDIATE,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def user_ids_awaiting_digest() -> QuerySet[User, int]:
    """Ids of active users who chose the daily digest and have notifications not yet emailed."""
    unsent = Notification.objects.filter(recipient=OuterRef("pk"), emailed_at__isnull=True)
    return (
        User.objects.filter(Exists(unsent), is_active=True, notification_mode=NotificationMode.DIGEST)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
