"""Reads of notifications, for the list page and the navbar."""

from django.db.models import QuerySet

from research_governance.accounts.models import User

from .models import Notification


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (one COUNT on a partial index; for the navbar)."""
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first.

    Rows render their text from their own columns, so a page needs no further queries per row;
    the protocol is deliberately not joined (templates use ``link``).
    """
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")
