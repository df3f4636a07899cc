"""Reads of notifications: for the list page and the navbar, and the outbox's work lists."""

from collections.abc import Iterable
from datetime import datetime

from django.core.cache import cache
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact

from research_governance.accounts.models import NotificationMode, User

from .models import Notification, NotificationPreference


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


def effective_modes(users: Iterable[User]) -> "dict[int, tuple[str, dict[str, str]]]":
    """For each user: their general mode and their choices per kind (one query)."""
    general = {user.pk: user.notification_mode for user in users}
    ids = set(general)
    chosen: dict[int, dict[str, str]] = {user_id: {} for user_id in general}
    for user_id, kind, mode in NotificationPreference.objects.filter(user_id__in=ids).values_list(
        "user_id", "kind", "mode"
    ):
        chosen.setdefault(user_id, {})[kind] = mode
    return {user_id: (mode, chosen.get(user_id, {})) for user_id, mode in general.items()}


def mode_for(modes: "dict[int, tuple[str, dict[str, str]]]", user_id: int, kind: str) -> str:
    """The mode a notification of ``kind`` to ``user_id`` is emailed by: the choice for the
    kind, or else the general one."""
    general, chosen = modes.get(user_id, (NotificationMode.IMMEDIATE, {}))
    return chosen.get(kind, general)


def emailed_by(mode: str) -> Exact:
    """A filter on notifications: emailed by ``mode``, that is, the recipient's choice for the
    row's kind, or else their general choice."""
    chosen = NotificationPreference.objects.filter(user=OuterRef("recipient"), kind=OuterRef("kind")).values("mode")
    return Exact(Coalesce(Subquery(chosen[:1]), F("recipient__notification_mode")), mode)


def notification_ids_awaiting_email(
    *, created_before: datetime, created_after: datetime
) -> QuerySet[Notification, int]:
    """Ids of notifications still to be emailed one by one: not emailed, recipient active, with an
    address, and of a kind the recipient wants emailed as it happens. One query; the partial index
    holds only unsent rows."""
    return (
        Notification.objects.filter(
            emailed_by(NotificationMode.IMMEDIATE),
            emailed_at__isnull=True,
            created_at__lt=created_before,
            created_at__gte=created_after,
            recipient__is_active=True,
        )
        .exclude(recipient__email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def user_ids_awaiting_digest() -> QuerySet[User, int]:
    """Ids of active users with notifications not yet emailed of a kind they want in the digest."""
    unsent = Notification.objects.filter(
        emailed_by(NotificationMode.DIGEST), recipient=OuterRef("pk"), emailed_at__isnull=True
    )
    return (
        User.objects.filter(Exists(unsent), is_active=True)
        .exclude(email="")
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def preferences_of(user: User) -> dict[str, str]:
    """The user's choices per kind ({kind: mode}); kinds without a choice are absent."""
    return dict(NotificationPreference.objects.filter(user=user).values_list("kind", "mode"))
