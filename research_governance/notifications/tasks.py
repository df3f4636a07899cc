"""The outbox's Celery tasks. They take ids and call the services, which are idempotent, so a
retry or a redelivery (``acks_late``) is harmless."""

from datetime import timedelta

from celery import shared_task
from django.db import DatabaseError
from django.utils import timezone

from research_governance.celery import Task

from . import inbox, selectors, services

# Errors worth trying again later: the mail server or the database was unreachable.
RETRY_ON = (services.DeliveryFailed, ConnectionError, DatabaseError)
# Retries wait about 30 s, 1, 2, 4, 8 min (with jitter), never more than RETRY_BACKOFF_MAX:
# far below the broker's visibility_timeout, so Redis does not redeliver a waiting retry.
RETRY_BACKOFF = 30
RETRY_BACKOFF_MAX = 10 * 60
MAX_RETRIES = 5

# The after-commit task normally sends a row within seconds; one still pending after this long
# was lost on the way (the broker was down at commit) or gave up retrying.
REDISPATCH_AFTER = timedelta(minutes=5)
# Older rows are not emailed any more (they are still in the app): a stale email helps nobody,
# and an address that always fails is not tried forever.
REDISPATCH_WITHIN = timedelta(days=7)
# One run queues at most this many rows, in tasks of REDISPATCH_CHUNK; the next run takes the rest.
REDISPATCH_LIMIT = 5000
REDISPATCH_CHUNK = 100


@shared_task(
    base=Task,
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Email these notifications (those not emailed yet). Returns how many were sent."""
    return services.deliver(notification_ids)


@shared_task(acks_late=True)
def redispatch_pending() -> int:
    """Queue delivery again for rows still pending; returns how many. Periodic (see CELERY_BEAT_SCHEDULE)."""
    now = timezone.now()
    ids = list(
        selectors.notification_ids_awaiting_email(
            created_before=now - REDISPATCH_AFTER, created_after=now - REDISPATCH_WITHIN
        )[:REDISPATCH_LIMIT]
    )
    for start in range(0, len(ids), REDISPATCH_CHUNK):
        try:
            deliver_notifications.delay(ids[start : start + REDISPATCH_CHUNK])
        except services.DeliveryFailed:
            # Only inline (no broker): the failed rows are released and the next run tries them.
            continue
    return len(ids)


@shared_task(
    acks_late=True,
    autoretry_for=RETRY_ON,
    retry_backoff=RETRY_BACKOFF,
    retry_backoff_max=RETRY_BACKOFF_MAX,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def send_digest(user_id: int) -> int:
    """Email one digest reader their pending notifications. Returns how many it covered."""
    return services.send_digest(user_id=user_id)


@shared_task(acks_late=True)
def send_digests() -> int:
    """Queue one digest per digest reader with pending notifications; returns how many. Daily."""
    user_ids = list(selectors.user_ids_awaiting_digest())
    for user_id in user_ids:
        try:
            send_digest.delay(user_id)
        except services.DeliveryFailed:
            # Only inline (no broker): the rows are released and tomorrow's digest includes them.
            continue
    return len(user_ids)


@shared_task(acks_late=True)
def rebuild_inbox() -> None:
    """Everyone's "Waiting for you" found again from the workflows. Nightly (CELERY_BEAT_SCHEDULE):
    a role's term begins or ends with the date alone, and no service hands that on."""
    inbox.rebuild_all()
