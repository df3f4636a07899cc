"""Celery tasks: they take ids and call the services.

``render_letter`` is idempotent (the service returns the letter already made), so it is safe with
``acks_late``: a task redelivered after its worker died renders the letter at most once more and
stores it once. The time limits bound a render: WeasyPrint has no network to wait on (the URL
fetcher refuses it), but a pathological document could still take long; past the soft limit the
task gives up and is retried, past the hard limit the worker process is replaced."""

import logging
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.celery import Task
from research_governance.reviews.models import Decision

from . import services
from .models import Letter

logger = logging.getLogger(__name__)

RENDER_SOFT_TIME_LIMIT = 60
RENDER_TIME_LIMIT = 90


@shared_task(
    base=Task,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=RENDER_SOFT_TIME_LIMIT,
    time_limit=RENDER_TIME_LIMIT,
    autoretry_for=(SoftTimeLimitExceeded, OSError),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=5,
)
def render_letter(
    self: Task,
    decision_id: int,
    kind: str,
    language: str,
    replaces_id: int | None = None,
    requested_by_id: int | None = None,
    reason: str = "",
) -> str | None:
    """Render the letter of a decision (kind: decision, permission, refusal) in ``language``, or,
    given ``replaces_id``, its correction. Returns the letter's reference."""
    if replaces_id is not None:
        replaced = Letter.objects.filter(pk=replaces_id).first()
        requested_by = User.objects.filter(pk=requested_by_id).first() if requested_by_id is not None else None
        if replaced is None or requested_by is None:
            logger.warning("Letter %s or user %s is gone; no correction made", replaces_id, requested_by_id)
            return None
        return services.letter_correct(letter=replaced, by=requested_by, reason=reason).reference
    try:
        return services.letter_issue(decision_id=decision_id, kind=kind, language=language).reference
    except Decision.DoesNotExist:
        # A task queued by a transaction that no longer exists (or for another database): nothing to do.
        logger.warning("Decision %s does not exist; no %s letter rendered", decision_id, kind)
        return None


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def render_missing_letters(days: int = 30) -> int:
    """Queue every letter of the last ``days`` days' decisions that does not exist yet, e.g. because
    the broker was down when the decision was recorded. Run periodically (beat) or by cron."""
    wanted = services.wanted_letters(since=timezone.now() - timedelta(days=days))
    for decision_id, kind, language in wanted:
        render_letter.delay(decision_id, kind, language)
    return len(wanted)
