"""Telling each person, once, that a step now waits for them.

Services call ``announce`` at the end of the transaction that changed a protocol or a request.
It asks the declared workflows (``core.work``) what is pending on those subjects now, and tells
every actor of every step who has not been told about that occurrence of it yet, in the app and
by email through the outbox (``notify``). The person who made the change is not told about work
they gave themself. Markers (``Handoff``) make it exactly once: announcing again, from a retried
task or a second call, tells nobody twice.
"""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.work import WorkItem

from . import inbox
from .messages import in_each_language
from .models import Handoff, Notification
from .services import Notice, notify_many

KIND = "work.waiting"


def _params(item: WorkItem) -> dict[str, Any]:
    due = in_each_language(_("Due by %(date)s.") % {"date": item.due.isoformat()}) if item.due else ""
    return {
        "step": in_each_language(item.step.label),
        "detail": {code: f" ({text})" for code, text in in_each_language(item.detail).items()} if item.detail else "",
        "reference": item.reference,
        "title": item.title,
        "due": due,
    }


def announce(
    *, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = (), by: Any = None
) -> list[Notification]:
    """Tell the actors of every step now pending on these subjects who were not told yet."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("announce must be called inside the transaction that makes the change.")
    # Who acts next may have changed, also for people who are told nothing (their work is
    # done): the inbox keeps what is pending now.
    found = inbox.refresh(protocol_ids=protocol_ids, request_ids=request_ids)
    return announce_items([item for item in found if item.step.notifies], by=by)


def announce_items(items: Iterable[WorkItem], *, by: Any = None) -> list[Notification]:
    """``announce`` for items already found (the daily scan finds them in bulk)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("announce must be called inside the transaction that makes the change.")
    by_id = getattr(by, "pk", None)
    items = list(items)
    # The person acting knows of the work they gave themself: marked as told, so a later change
    # by someone else does not tell them of it then.
    own = {item.key for item in items if by_id is not None and by_id in item.actor_ids}
    if by_id is not None and own:
        Handoff.objects.bulk_create([Handoff(key=key, recipient_id=by_id) for key in own], ignore_conflicts=True)
    wanted = {(item.key, user_id): item for item in items for user_id in item.actor_ids if user_id != by_id}
    if not wanted:
        return []
    keys = {key for key, _user in wanted}
    told = set(Handoff.objects.filter(key__in=keys).values_list("key", "recipient_id"))
    new = {pair: item for pair, item in wanted.items() if pair not in told}
    if not new:
        return []
    # Services hold the subject's row lock while they announce, so two announcements about one
    # subject do not interleave; ignore_conflicts keeps a rare overlap from failing the change.
    Handoff.objects.bulk_create([Handoff(key=key, recipient_id=user_id) for key, user_id in new], ignore_conflicts=True)
    users = {user.pk: user for user in User.objects.filter(pk__in={user_id for _key, user_id in new})}
    grouped: dict[str, tuple[WorkItem, list[User]]] = {}
    for (key, user_id), item in new.items():
        if user_id in users:
            grouped.setdefault(key, (item, []))[1].append(users[user_id])
    return notify_many(
        Notice(
            recipients=recipients,
            kind=KIND,
            params=_params(item),
            link=item.link,
            protocol_id=item.protocol_id,
        )
        for item, recipients in grouped.values()
    )
