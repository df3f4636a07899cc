"""Checking the audit trail's hash chain (SEC-05, US-R-02).

Every event's hash is recomputed from its stored contents with ``event_hash`` (the function
``audit_record`` wrote it with) and every ``previous_hash`` is compared with the hash of the
event before it. The chain is read in id order in keyset chunks, as plain tuples from a raw
cursor, so memory stays flat and a million events take seconds, not minutes.

What the chain proves: no stored event was changed, removed from the middle or inserted out of
order. Events removed from the end leave a shorter, valid chain: the report gives the head's
id and hash, so a copy kept elsewhere (the daily task logs it) shows when the head went back.
"""

import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, RoleMembership, User

from .models import AuditEvent
from .services import GENESIS_HASH, event_hash

logger = logging.getLogger(__name__)

CHUNK = 20_000
CONTENT_CHANGED = _("its hash does not match its contents (it was changed after it was written)")


@dataclass
class BrokenLink:
    event_id: int
    occurred_at: datetime
    action: str
    reason: Promise | str


@dataclass
class ChainReport:
    events: int = 0
    head_id: int | None = None
    head_hash: str = GENESIS_HASH
    seconds: float = 0.0
    broken: BrokenLink | None = field(default=None)

    @property
    def intact(self) -> bool:
        return self.broken is None

    def summary(self) -> str:
        if self.broken is not None:
            b = self.broken
            return (
                f"Audit trail BROKEN at event {b.event_id} ({b.occurred_at.isoformat()}, {b.action}): {b.reason}. "
                f"{self.events:,} events before it verified."
            )
        head = f"head event {self.head_id}, hash {self.head_hash}" if self.head_id else "no events yet"
        return f"Audit trail intact: {self.events:,} events verified in {self.seconds:.1f} s; {head}."


# On PostgreSQL the time is formatted by the database exactly as Python's isoformat() writes an
# aware UTC datetime (what audit_record hashes): psycopg's timestamptz parsing would otherwise be
# a third of the cost of a verification. A time with microseconds keeps them, as isoformat() does.
_PG_ISO_TIME = (
    "to_char(occurred_at AT TIME ZONE 'UTC', CASE WHEN to_char(occurred_at, 'US') = '000000' "
    """THEN 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"' ELSE 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"' END)"""
)


def _rows(chunk: int) -> Iterator[tuple[Any, ...]]:
    """(id, time, actor_id, action, target_type, target_id, data, previous_hash, hash) in id order;
    the time as the ISO text that was hashed, the data as JSON text."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    time_column = _PG_ISO_TIME if connection.vendor == "postgresql" else "occurred_at"
    columns = f"id, {time_column}, actor_id, action, target_type, target_id, data, previous_hash, hash"
    statement = f"SELECT {columns} FROM {table} WHERE id > %s ORDER BY id LIMIT %s"  # noqa: S608 (our table)
    if connection.vendor == "postgresql":
        yield from _prefetched_rows(statement, chunk)
        return
    last = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(statement, [last, chunk])
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            last = rows[-1][0]


def _prefetched_rows(statement: str, chunk: int) -> Iterator[tuple[Any, ...]]:
    """The next chunk is read while this one is hashed: a thread runs the queries on the same
    database connection (so the caller's transaction is seen), which the caller leaves alone
    until the walk ends. A third of the time of a million-event walk is the reading."""
    connection.ensure_connection()
    raw = connection.connection
    chunks: queue.Queue[list[tuple[Any, ...]] | BaseException] = queue.Queue(maxsize=2)
    stop = threading.Event()

    def read() -> None:
        last = 0
        try:
            with raw.cursor() as cursor:
                while not stop.is_set():
                    cursor.execute(statement, [last, chunk])
                    rows = cursor.fetchall()
                    while not stop.is_set():
                        try:
                            chunks.put(rows, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if not rows:
                        return
                    last = rows[-1][0]
        except BaseException as error:
            chunks.put(error)

    reader = threading.Thread(target=read, name="verify-audit-reader", daemon=True)
    reader.start()
    try:
        while True:
            rows = chunks.get()
            if isinstance(rows, BaseException):
                raise rows
            if not rows:
                return
            yield from rows
    finally:
        # The walk may stop early (a broken link): the reader must be done with the connection
        # before anyone else uses it.
        stop.set()
        while reader.is_alive():
            with contextlib.suppress(queue.Empty):
                chunks.get(timeout=0.1)
        reader.join()


def _iso_time(value: Any) -> str:
    """The stored time as audit_record hashed it: PostgreSQL formats it already; SQLite stores UTC text."""
    if isinstance(value, datetime):  # SQLite's timestamp converter: naive, in UTC
        return (value if value.tzinfo is not None else value.replace(tzinfo=UTC)).isoformat()
    if value.endswith("+00:00"):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()


def verify_chain(*, chunk: int = CHUNK) -> ChainReport:
    """Walk the whole chain; stop at the first event that does not verify."""
    started = time.perf_counter()
    report = ChainReport()
    previous = GENESIS_HASH
    loads = json.loads
    count = 0
    pk = previous_id = None
    for pk, occurred_at, actor_id, action, target_type, target_id, data, previous_hash, stored in _rows(chunk):
        at = _iso_time(occurred_at)
        if previous_hash != previous:
            reason = (
                _(
                    "its previous hash does not match the hash of event %(id)s (an event was removed or "
                    "inserted, or event %(id)s was rewritten with a new hash)"
                )
                % {"id": previous_id}
                if previous_id is not None
                else _("it is the first event but does not start from the genesis hash (events before it were removed)")
            )
        elif stored != event_hash(
            previous_hash=previous_hash,
            occurred_at=at,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=loads(data) if isinstance(data, str) else data,
        ):
            reason = CONTENT_CHANGED
        else:
            previous = stored
            previous_id = pk
            count += 1
            continue
        report.broken = BrokenLink(event_id=pk, occurred_at=datetime.fromisoformat(at), action=action, reason=reason)
        break
    report.events = count
    if report.intact and pk is not None:
        report.head_id, report.head_hash = pk, previous
    report.seconds = time.perf_counter() - started
    return report


def verify_and_alert() -> ChainReport:
    """The daily check: verify the chain; if it is broken, log an error and notify every active
    administrator (SEC-05). Either way the summary, with the head's hash, goes to the log."""
    from research_governance.notifications.messages import in_each_language
    from research_governance.notifications.services import notify

    report = verify_chain()
    if report.intact:
        logger.info("%s", report.summary())
        return report
    broken = report.broken
    assert broken is not None
    logger.error("%s", report.summary())
    administrators = User.objects.filter(
        is_active=True,
        pk__in=RoleMembership.objects.current().filter(role=Role.ADMINISTRATOR).values("user_id"),
    )
    with transaction.atomic():
        notify(
            recipients=administrators,
            kind="audit.chain_broken",
            params={
                "event_id": broken.event_id,
                "action": broken.action,
                "occurred_at": broken.occurred_at.isoformat(),
                "reason": in_each_language(broken.reason),
            },
            link=reverse("audit:events") + f"?before={broken.event_id + 1}",
        )
    return report
