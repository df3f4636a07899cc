"""Reading the audit trail and the access log for the audit pages.

Both are paged by keyset on the id (newest first), never by OFFSET and never counted: a page is
one index range scan however many million rows there are. Each filter has an index that ends
with the id (see the models' Meta.indexes), so a filtered page is a range scan too.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone

from research_governance.accounts.models import Role, User
from research_governance.accounts.selectors import institutions_with_role

from .models import AccessLogEntry, AuditEvent

PAGE_SIZE = 50
EXPORT_CHUNK = 2_000


@dataclass
class KeysetPage:
    rows: list[Any]
    newer: int | None  # the `after` of the page of newer rows, if there is one
    older: int | None  # the `before` of the page of older rows, if there is one

    @property
    def paginated(self) -> bool:
        return self.newer is not None or self.older is not None


def keyset_page(
    queryset: models.QuerySet, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE
) -> KeysetPage:
    """``size`` rows newest first: below ``before``, or just above ``after`` (going back to newer
    rows), or the newest. Two queries at most: the page (one row more, to know whether there are
    older ones) and, off the first page, whether there are newer ones."""
    if after is not None:
        rows = list(queryset.filter(id__gt=after).order_by("id")[: size + 1])
        if not rows:
            return keyset_page(queryset, size=size)
        has_newer = len(rows) > size
        rows = rows[:size][::-1]
        has_older = queryset.filter(id__lt=rows[-1].pk).exists()
    else:
        rows = list((queryset.filter(id__lt=before) if before is not None else queryset).order_by("-id")[: size + 1])
        has_older = len(rows) > size
        rows = rows[:size]
        has_newer = bool(rows) and before is not None and queryset.filter(id__gt=rows[0].pk).exists()
    return KeysetPage(rows, rows[0].pk if has_newer else None, rows[-1].pk if has_older else None)


def _day_start(day: date) -> datetime:
    # Dates are days in the institution's time zone.
    return timezone.make_aware(datetime.combine(day, time.min))


# How far the servers' clocks may disagree. Events are numbered in the order they are appended, so
# their times rise with the id, give or take this (several web servers, each its own clock).
CLOCK_SKEW = timedelta(minutes=5)


def _in_period(queryset: models.QuerySet, start: date | None, end: date | None) -> models.QuerySet:
    """Rows between two days, filtered on the time and bounded by id.

    The id bounds let PostgreSQL read a page as a range of the primary key; filtering on the
    time alone, it walks the primary key backwards from the newest row and skips every row after
    the period (a month three years back: a million rows). The bounds come from the time index,
    widened by CLOCK_SKEW; the time filter still decides exactly which rows are in."""
    model = queryset.model
    if start is not None:
        since = _day_start(start)
        queryset = queryset.filter(occurred_at__gte=since)
        first = model.objects.filter(occurred_at__gte=since - CLOCK_SKEW).order_by("occurred_at", "id").values("id")
        queryset = queryset.filter(id__gte=models.Subquery(first[:1]))
    if end is not None:
        until = _day_start(end + timedelta(days=1))
        queryset = queryset.filter(occurred_at__lt=until)
        last = model.objects.filter(occurred_at__lt=until + CLOCK_SKEW).order_by("-occurred_at", "-id").values("id")
        queryset = queryset.filter(id__lte=models.Subquery(last[:1]))
    return queryset


def _user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip()).only("pk").first()


def target_labels(target_type: str) -> list[str]:
    """The label an event's object type is stored under, with the labels the same model had before
    it moved between apps (a model's ``former_labels``): an event keeps the label it was written
    under, since the label is hashed into the chain."""
    for model in apps.get_models():
        labels = [model._meta.label_lower, *getattr(model, "former_labels", ())]
        if target_type in labels:
            return labels
    return [target_type]


# Who reads the audit trail and the access log of their institution (SEC-01, SEC-04, SEC-05).
AUDIT_READER_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR)


def audited_institutions(user: User | AnonymousUser) -> frozenset[int]:
    """The institutions whose audit trail the user reads; empty for everyone else."""
    return institutions_with_role(user, *AUDIT_READER_ROLES)


def events_visible_to(user: User | AnonymousUser) -> models.QuerySet[AuditEvent]:
    """THE rule for who reads an audit event: the auditors and administrators of the institution
    it belongs to (``AuditEvent.institution``). Lists, the timeline and the export all use it."""
    return AuditEvent.objects.filter(institution_id__in=audited_institutions(user))


def access_log_visible_to(user: User | AnonymousUser) -> models.QuerySet[AccessLogEntry]:
    """Access-log entries of the people of the user's audited institutions, and the failed
    sign-ins typed with their addresses. A failed sign-in with an address nobody has belongs to
    no institution: the site's operators read it in the admin."""
    institutions = audited_institutions(user)
    people = User.objects.filter(institution_id__in=institutions)
    return AccessLogEntry.objects.filter(
        models.Q(user__institution_id__in=institutions)
        | models.Q(user__isnull=True, identifier__in=people.values("email"))
    )


def events_filtered(filters: dict[str, Any], events: models.QuerySet[AuditEvent]) -> models.QuerySet[AuditEvent]:
    """Events matching the audit view's filters: object (type and id), actor (email), action, dates."""
    if filters.get("target_type"):
        events = events.filter(target_type__in=target_labels(filters["target_type"]))
    if filters.get("target_id"):
        events = events.filter(target_id=filters["target_id"])
    if filters.get("actor"):
        actor = _user_by_email(filters["actor"])
        events = events.filter(actor_id=actor.pk) if actor is not None else events.none()
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    return _in_period(events, filters.get("date_from"), filters.get("date_to"))


def access_log_filtered(
    filters: dict[str, Any], entries: models.QuerySet[AccessLogEntry]
) -> models.QuerySet[AccessLogEntry]:
    if filters.get("user"):
        user = _user_by_email(filters["user"])
        # A failed sign-in has no user, only the identifier typed (stored as typed): match that too.
        typed = models.Q(identifier=filters["user"].strip())
        entries = entries.filter(typed | models.Q(user_id=user.pk) | models.Q(identifier=user.email) if user else typed)
    if filters.get("kind"):
        entries = entries.filter(kind=filters["kind"])
    return _in_period(entries, filters.get("date_from"), filters.get("date_to"))


EXPORT_FIELDS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "protocol_id",
    "data",
    "previous_hash",
    "hash",
)


def events_for_export(events: models.QuerySet[AuditEvent], *, chunk: int = EXPORT_CHUNK) -> Iterator[tuple[Any, ...]]:
    """The events as tuples (EXPORT_FIELDS), newest first, read in keyset chunks: memory stays flat
    however many there are, and no cursor is held open between chunks while the client reads."""
    rows = events.order_by("-id").values_list(*EXPORT_FIELDS)
    last: int | None = None
    while True:
        batch = list((rows.filter(id__lt=last) if last is not None else rows)[:chunk])
        if not batch:
            return
        yield from batch
        last = batch[-1][0]
