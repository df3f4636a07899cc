"""Reads of notifications, for the list page and the navbar."""

from django.core.cache import cache
from django.db.models import QuerySet

from research_governance.accounts.models import User

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
