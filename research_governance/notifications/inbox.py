"""Everyone's "Waiting for you", kept: what ``core.work`` finds, stored one row per pending item
(``InboxItem``) and one per item and person who acts on it (``InboxEntry``).

The workflows stay the one source of who acts next; the inbox only keeps their answer, so the
home page and the menu's count read one indexed page instead of asking every workflow (a
secretariat has thousands of items). It is kept true by three writers:

* ``refresh``: the items of some protocols and requests are found again with ``about`` and
  replace what was kept for them, in the transaction that changed them. ``handoff.announce``
  calls it for every hand-off, and the services that change a protocol or its team call it.
* ``rebuild_for``: a person's entries are found again with ``for_user`` when their roles,
  committee seats or account change (``signals``), after the change commits.
* ``rebuild_all``: everything again, nightly (``tasks.rebuild_inbox``), for what time alone
  changes (a role's term beginning or ending), and after bulk loads (the demo, the bench).

A meeting spans the protocols on its agenda: its items (``WorkSource.institution_steps``) are kept
per institution and found again with every refresh of a subject there (``refresh_institutions``).
What no subject's change touches (``WorkSource.live_steps``: an administrator's committee roster,
a role's term ending) is not kept; ``first_for`` finds it afresh, for administrators only.
tests/notifications/test_inbox.py and the ``inbox_agrees`` check of the service tests compare the
inbox with ``work_for`` for everyone.
"""

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.signals import post_delete, post_save, pre_save

from research_governance.accounts.models import User
from research_governance.core import caching
from research_governance.core.i18n import localized
from research_governance.core.work import (
    ACTOR_ORDER,
    NextActor,
    Step,
    WorkItem,
    WorkPage,
    WorkSource,
    declared_steps,
    work_sources,
)

from .messages import in_each_language
from .models import InboxEntry, InboxItem, InboxItemProtocol

# How many protocols or requests ``rebuild_all`` finds at once.
BATCH = 500
# The menu's count of a person's items is kept in the cache (every page shows it) and forgotten by
# every write below; kept no longer than this, should a write ever miss it.
COUNT_SECONDS = 300
# What an item row says, brought up to date when a person's work is found again.
CONTENT_FIELDS = [
    *("source", "step_code", "actor", "protocol_id", "request_id", "institution_id", "reference", "title"),
    *("link", "since", "due", "detail", "extra", "rank"),
]


def _steps() -> dict[str, Step]:
    """Every declared step by its code."""
    return {step.code: step for row in declared_steps() for step in row.steps}


def _kept(source: WorkSource, items: Iterable[WorkItem]) -> list[WorkItem]:
    """The items kept per subject: not those found afresh, nor those kept per institution."""
    return [item for item in items if item.step.code not in source.live_steps | source.institution_steps]


def _item_row(source: WorkSource, item: WorkItem, steps: dict[str, Step]) -> InboxItem:
    # ``for_user`` may give an item under the role its user acts in; the row keeps the step's own.
    declared = steps.get(item.step.code, item.step)
    return InboxItem(
        key=item.key,
        source=source.name,
        step_code=item.step.code,
        actor=str(declared.actor),
        protocol_id=item.protocol_id,
        request_id=item.request_id,
        institution_id=item.institution_id,
        reference=item.reference,
        title=item.title,
        link=item.link,
        since=item.since,
        due=item.due,
        detail=in_each_language(item.detail) if item.detail else {},
        extra=item.extra,
        rank=item.rank,
    )


def _entry(user_id: int, item_id: int, held: WorkItem) -> InboxEntry:
    return InboxEntry(
        user_id=user_id,
        item_id=item_id,
        actor=str(held.actor),
        actor_rank=ACTOR_ORDER.index(held.actor),
        due=held.due,
        since=held.since,
        step_code=held.step.code,
        rank=held.rank,
        key=held.key,
    )


def _store(source: WorkSource, items: list[WorkItem]) -> set[int]:
    """Keep ``about``'s items, with all their actors, for subjects whose rows were just deleted.

    Two hand-offs at one institution may both keep its meeting (each service locks its own
    subject, not the institution): the row is then brought up to date rather than refused, and
    an entry already there is kept, so neither change fails for the other. Returns who acts on them."""
    if not items:
        return set()
    steps = _steps()
    InboxItem.objects.bulk_create(
        [_item_row(source, item, steps) for item in items],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=CONTENT_FIELDS,
    )
    # Read back: a row brought up to date does not return its id on every database.
    ids = dict(InboxItem.objects.filter(key__in=[item.key for item in items]).values_list("key", "pk"))
    # A kept item's key changes with what it spans (a meeting's key with its agenda): rows kept
    # already span the same protocols.
    InboxItemProtocol.objects.bulk_create(
        [InboxItemProtocol(item_id=ids[item.key], protocol_id=pk) for item in items for pk in item.spans],
        ignore_conflicts=True,
    )
    held = source.as_held_by(items)
    InboxEntry.objects.bulk_create(
        [_entry(user_id, ids[item.key], item) for user_id, item in held], ignore_conflicts=True
    )
    return {user_id for user_id, _item in held}


def _delete(items: QuerySet[InboxItem]) -> set[int]:
    """Delete these items (and their entries); returns who acted on them."""
    user_ids = set(InboxEntry.objects.filter(item__in=items).values_list("user_id", flat=True).distinct())
    items.delete()
    return user_ids


def count_cache_key(user_id: int) -> str:
    return f"inbox:count:{user_id}"


def forget_counts(user_ids: Iterable[int]) -> None:
    """Drop these people's cached counts (``core.caching.forget``)."""
    caching.forget(count_cache_key(user_id) for user_id in user_ids)


def refresh(*, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]:
    """Find again what is pending on these protocols and requests, and keep it instead of what
    was kept; the same for what their institutions' meetings wait for. Call inside the
    transaction that changed them (``announce`` does). Returns every item ``about`` found, with
    all its actors (``core.work.work_about``)."""
    protocols, requests = sorted(set(protocol_ids)), sorted(set(request_ids))
    if not protocols and not requests:
        return []
    # An item's subject (what ``about`` finds it by) is its request if it has one, else its protocol.
    touched = _delete(
        InboxItem.objects.filter(Q(protocol_id__in=protocols, request_id__isnull=True) | Q(request_id__in=requests))
    )
    found = []
    for source in work_sources():
        items = source.about(protocol_ids=protocols, request_ids=requests)
        touched |= _store(source, _kept(source, items))
        found += items
    forget_counts(touched)
    refresh_institutions(_institutions_of(protocols, requests))
    return found


def _institutions_of(protocol_ids: list[int], request_ids: list[int]) -> set[int]:
    if not any(source.institution_steps for source in work_sources()):
        return set()
    # The subjects' apps sit above this one (``core.hooks`` for why imports point down).
    from django.apps import apps

    found: set[int] = set()
    if protocol_ids:
        protocols = apps.get_model("protocols", "Protocol").objects.filter(pk__in=protocol_ids)
        found |= set(protocols.values_list("institution_id", flat=True))
    if request_ids:
        requests = apps.get_model("agreements", "DataAccessRequest").objects.filter(pk__in=request_ids)
        found |= set(requests.values_list("institution_id", flat=True))
    return found


def refresh_institutions(institution_ids: Iterable[int]) -> None:
    """Find again what these institutions' business that spans protocols waits for (a meeting's
    attendance and votes), and keep it instead of what was kept. Called by ``refresh``, and by
    the services that change a meeting without handing a protocol on (a new date, attendance)."""
    ids = sorted(set(institution_ids))
    if not ids or not any(source.institution_steps for source in work_sources()):
        return
    touched: set[int] = set()
    for source in work_sources():
        if not source.institution_steps:
            continue
        touched |= _delete(
            InboxItem.objects.filter(
                source=source.name, institution_id__in=ids, step_code__in=sorted(source.institution_steps)
            )
        )
        touched |= _store(source, source.about_institutions(ids))
    forget_counts(touched)


def rebuild_for(user_ids: Iterable[int]) -> None:
    """Find again everything each of these people acts on (``for_user``), after a change of their
    roles, committee seats or account that no subject's hand-off covers."""
    for user in User.objects.filter(pk__in=set(user_ids)).order_by("pk"):
        with transaction.atomic():
            InboxEntry.objects.filter(user=user).delete()
            touched = {user.pk}
            for source in work_sources():
                # Everything kept, per subject or per institution. The items may be kept already
                # (their subject was refreshed): ``_store`` brings those rows up to date.
                touched |= _store(
                    source, [item for item in source.for_user(user) if item.step.code not in source.live_steps]
                )
            forget_counts(touched)


def _batches(queryset: QuerySet[Any]) -> Iterator[list[int]]:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def rebuild_all() -> None:
    """Everything again from the workflows: nightly, and after loading data without services.
    Subject by subject, so nobody's list is ever empty while it runs; then what is kept about
    subjects that no longer exist goes."""
    # The subjects' apps sit above this one (``core.hooks`` for why imports point down).
    from django.apps import apps

    protocols = apps.get_model("protocols", "Protocol").objects.all()
    requests = apps.get_model("agreements", "DataAccessRequest").objects.all()
    for batch in _batches(protocols):
        with transaction.atomic():
            refresh(protocol_ids=batch)
    for batch in _batches(requests):
        with transaction.atomic():
            refresh(request_ids=batch)
    with transaction.atomic():
        gone = _delete(
            InboxItem.objects.filter(request_id__isnull=True, protocol_id__isnull=False).exclude(
                protocol_id__in=protocols.values("pk")
            )
        )
        gone |= _delete(
            InboxItem.objects.filter(request_id__isnull=False).exclude(request_id__in=requests.values("pk"))
        )
        forget_counts(gone)
        refresh_institutions(apps.get_model("accounts", "Institution").objects.values_list("pk", flat=True))


# Reading.

HOME_ORDER = ("actor_rank", F("due").asc(nulls_last=True), "since", "step_code", "rank", "key")


def _as_item(row: InboxItem, steps: dict[str, Step], actor: str, actor_ids: frozenset[int]) -> WorkItem:
    step = steps[row.step_code]
    if actor != step.actor:
        step = replace(step, actor=NextActor(actor))
    return WorkItem(
        step=step,
        key=row.key,
        reference=row.reference,
        title=row.title,
        link=row.link,
        since=row.since,
        institution_id=row.institution_id,
        actor_ids=actor_ids,
        due=row.due,
        protocol_id=row.protocol_id,
        request_id=row.request_id,
        detail=localized(row.detail.get("ja", ""), row.detail.get("en", "")) if row.detail else "",
        extra=row.extra,
        rank=row.rank,
    )


def _live(user: Any) -> list[WorkItem]:
    return [item for source in work_sources() for item in source.live_for(user)]


def entries_of(user: Any) -> QuerySet[InboxEntry]:
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return InboxEntry.objects.none()
    return InboxEntry.objects.filter(user_id=user.pk)


def first_for(user: Any, limit: int) -> WorkPage:
    """The first ``limit`` items of the user's work in ``core.work.home_order`` and how many there
    are: what ``core.work.first_work_for`` finds, read from two indexed queries."""
    entries = entries_of(user)
    total = entries.count()
    if getattr(user, "is_authenticated", False) and user.is_active:
        cache.set(count_cache_key(user.pk), total, COUNT_SECONDS)  # the menu's count, fresh from here
    kept = []
    if total and limit > 0:
        steps = _steps()
        rows = entries.select_related("item").order_by(*HOME_ORDER)[:limit]
        kept = [_as_item(entry.item, steps, entry.actor, frozenset({entry.user_id})) for entry in rows]
    return WorkPage.merged([WorkPage(items=kept, total=total), WorkPage.of(_live(user), limit)], limit)


def count_for(user: Any) -> int:
    """How many items wait for the user: the menu's badge on every page, so kept in the cache
    until a write of the inbox forgets it (``forget_counts``)."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return 0
    key = count_cache_key(user.pk)
    kept = cache.get(key)
    if kept is None:
        kept = entries_of(user).count()
        cache.set(key, kept, COUNT_SECONDS)
    return int(kept) + len(_live(user))


def pending_on(
    user: Any, *, protocol_ids: Iterable[int], request_ids: Iterable[int], exclude_actors: Iterable[str], limit: int
) -> list[WorkItem]:
    """The newest ``limit`` items pending on these protocols and requests, or spanning these
    protocols (a meeting with one on its agenda: as that protocol's team sees it,
    ``WorkSource.seen_from``), for someone other than ``user``: "Waiting for others". One query,
    each part an index range."""
    protocol_ids, request_ids = list(protocol_ids), list(request_ids)
    pending = InboxItem.objects.exclude(actor__in=list(exclude_actors)).exclude(
        Exists(InboxEntry.objects.filter(item=OuterRef("pk"), user_id=user.pk))
    )
    on_subjects = pending.filter(
        Q(protocol_id__in=protocol_ids, request_id__isnull=True) | Q(request_id__in=request_ids)
    ).annotate(seen_on=Value(None, output_field=IntegerField()))
    linked = InboxItemProtocol.objects.filter(item=OuterRef("pk"), protocol_id__in=protocol_ids)
    spanning = pending.filter(Exists(linked), protocol_id__isnull=True, request_id__isnull=True).annotate(
        seen_on=Subquery(linked.order_by("protocol_id").values("protocol_id")[:1])
    )
    rows = on_subjects.union(spanning).order_by("-since", "-key")[:limit]
    steps = _steps()
    sources = {source.name: source for source in work_sources()}
    found = []
    for row in rows:
        # Who acts on them is not needed here (never the user): ``actor_ids`` stays empty.
        item = _as_item(row, steps, row.actor, frozenset())
        if row.seen_on is not None and row.source in sources:
            item = sources[row.source].seen_from(item, row.seen_on)
        found.append(item)
    return found


# Keeping people's entries when their roles, seats or account change.


def _note_whether_active(sender: Any, instance: Any, raw: bool = False, update_fields: Any = None, **_: Any) -> None:
    # A save of named fields without ``is_active`` (the sign-in's last_login) changes nothing here.
    if raw or instance.pk is None or (update_fields is not None and "is_active" not in update_fields):
        return
    instance._inbox_was_active = User.objects.filter(pk=instance.pk).values_list("is_active", flat=True).first()


def _person_changed(sender: Any, instance: Any, raw: bool = False, created: bool = False, **_: Any) -> None:
    if raw:  # loading fixtures
        return
    if isinstance(instance, User):
        # Saved at every sign-in and profile change: only becoming active or inactive matters (a
        # secretariat's work takes seconds to find again).
        if created or getattr(instance, "_inbox_was_active", instance.is_active) == instance.is_active:
            return
        user_id = instance.pk
    else:
        user_id = instance.user_id
    rebuild_for([user_id])


def rebuild_on_changes_to(model: type[Any]) -> None:
    """Any save or delete of a ``model`` row (one with a ``user`` foreign key, or a User) finds its
    user's work again: a role granted or ended, a committee seat, an account made (in)active.
    In the writing transaction, so the next page shows it."""
    if model is User:
        pre_save.connect(_note_whether_active, sender=model, dispatch_uid="inbox.note_whether_active")
    post_save.connect(_person_changed, sender=model, dispatch_uid=f"inbox.rebuild_save_{model.__name__}")
    post_delete.connect(_person_changed, sender=model, dispatch_uid=f"inbox.rebuild_delete_{model.__name__}")
