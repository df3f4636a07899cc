"""What every ethics finder shares: resolving actors to people, and building items."""

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.db.models import Case, Q, QuerySet, Value, When
from django.urls import reverse

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.accounts.selectors import has_role_at, institutions_with_role
from research_governance.core.work import NextActor, Step, WorkItem, WorkPage, home_order
from research_governance.notifications.messages import bilingual
from research_governance.protocols.models import Protocol, ProtocolUserObjectPermission
from research_governance.protocols.permissions import SUBMIT


class Finder(ABC):
    """Finds one step's pending items. ``for_user`` and ``about`` must agree: an item is in
    ``for_user(u)`` exactly when ``u`` is in its ``actor_ids`` from ``about``; and ``first_for``
    and ``count_for`` must agree with ``for_user`` (tests/reviews/test_next_steps.py checks both
    on a populated world)."""

    @abstractmethod
    def for_user(self, user: User) -> list[WorkItem]: ...

    @abstractmethod
    def about(self, protocol_ids: list[int]) -> list[WorkItem]: ...

    def first_for(self, user: User, limit: int) -> WorkPage:
        return WorkPage.of(self.for_user(user), limit)

    def count_for(self, user: User) -> int:
        return self.first_for(user, 0).total


def as_held(user: User, item: WorkItem) -> WorkItem:
    """The item under the role the user acts in: the chair's steps that the secretariat may take
    as well (a decision, an acknowledgement, a sign-off) are the secretariat's work for a
    secretariat who is not the chair there, and the home must not call them "As the chair"."""
    if item.actor == NextActor.CHAIR and not has_role_at(user, item.institution_id, Role.CHAIR):
        return replace(item, step=replace(item.step, actor=NextActor.SECRETARIAT))
    return item


def held_first(user: User, institution_path: str, institutions: frozenset[int]) -> list[Case]:
    """For a chair's step, the SQL ordering that comes first: the rows the user takes as the
    secretariat (not the chair there) before the rows they chair, as ``home_order`` puts "As the
    secretariat" before "As the chair". Nothing when all the rows fall under one role."""
    chaired = where_user_holds(user, Role.CHAIR) & institutions
    if not chaired or chaired == institutions:
        return []
    return [Case(When(Q(**{f"{institution_path}__in": chaired}), then=Value(1)), default=Value(0))]


def title_of(protocol: Protocol) -> dict[str, str]:
    return bilingual(protocol.title_ja, protocol.title_en)


def holders(institution_ids: Iterable[int], *roles: str) -> dict[int, frozenset[int]]:
    """Who holds any of ``roles`` today at each institution: {institution id: user ids}, one query."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = (
        RoleMembership.objects.current()
        .filter(institution_id__in=set(institution_ids), role__in=roles, user__is_active=True)
        .values_list("institution_id", "user_id")
    )
    for institution_id, user_id in rows:
        found[institution_id].add(user_id)
    return {institution_id: frozenset(users) for institution_id, users in found.items()}


def where_user_holds(user: User, *roles: str) -> frozenset[int]:
    return institutions_with_role(user, *roles)


def applicants(protocol_ids: Iterable[int]) -> dict[int, frozenset[int]]:
    """Who may submit for each protocol (the PI and the delegated team): {protocol id: user ids}, one query."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = ProtocolUserObjectPermission.objects.filter(
        content_object_id__in=set(protocol_ids), permission__codename=SUBMIT, user__is_active=True
    ).values_list("content_object_id", "user_id")
    for protocol_id, user_id in rows:
        found[protocol_id].add(user_id)
    return {protocol_id: frozenset(users) for protocol_id, users in found.items()}


def applicant_protocol_ids(user: User) -> QuerySet[Any]:
    """The protocols the user may submit for, as a subquery."""
    return ProtocolUserObjectPermission.objects.filter(user=user, permission__codename=SUBMIT).values(
        "content_object_id"
    )


def protocol_link(protocol_id: int, submission_id: int | None = None, anchor: str = "") -> str:
    link = reverse("protocols:detail", args=[protocol_id])
    if submission_id is not None:
        link += f"?submission={submission_id}"
    return link + (f"#{anchor}" if anchor else "")


def item_on(
    step: Step,
    key: str,
    protocol: Protocol,
    *,
    since: datetime,
    actor_ids: frozenset[int],
    link: str,
    due: date | None = None,
    detail: Any = "",
    institution_id: int | None = None,
    rank: int = 0,
) -> WorkItem:
    """A work item about one protocol (the reference, title and institution are the protocol's)."""
    return WorkItem(
        step=step,
        key=key,
        reference=protocol.reference or "",
        title=title_of(protocol),
        link=link,
        since=since,
        due=due if due is not None else step.due_from(since),
        institution_id=institution_id if institution_id is not None else protocol.institution_id,
        protocol_id=protocol.pk,
        actor_ids=actor_ids,
        detail=detail,
        rank=rank,
    )


def only(user: User, actors: frozenset[int]) -> frozenset[int]:
    """The user alone, if they are among the actors (for_user's items carry at least the user)."""
    return frozenset({user.pk}) if user.pk in actors else frozenset()


class ScopedFinder(Finder, ABC):
    """A finder written once: ``find(q)`` builds every item among the rows ``q`` selects, with all
    their actors. ``about`` selects the protocols' rows; ``for_user`` selects the rows the user's
    roles reach (``scope``) and keeps the items the user is an actor of, so the two always agree."""

    # The path from the finder's rows to the protocol id ("protocol_id", "submission__protocol_id").
    protocol_path = "protocol_id"

    @abstractmethod
    def scope(self, user: User) -> Q | None:
        """The rows this user may be an actor of (None: none at all), to keep the query small."""
        ...

    @abstractmethod
    def find(self, q: Q) -> list[WorkItem]: ...

    def for_user(self, user: User) -> list[WorkItem]:
        q = self.scope(user)
        if q is None:
            return []
        return self._of(user, q)

    def _of(self, user: User, q: Q) -> list[WorkItem]:
        mine = frozenset({user.pk})
        return [as_held(user, replace(item, actor_ids=mine)) for item in self.find(q) if user.pk in item.actor_ids]

    def about(self, protocol_ids: list[int]) -> list[WorkItem]:
        return self.find(Q(**{f"{self.protocol_path}__in": protocol_ids}))

    def rows_for(self, user: User) -> list[QuerySet[Any]] | None:
        """For a finder whose items grow with an institution's volume: querysets of exactly the
        rows that make the user's items, one per step, each in ``home_order`` (``held_first``,
        then since, then id), so a page and a count come from SQL. None: build them all."""
        return None

    def first_for(self, user: User, limit: int) -> WorkPage:
        querysets = self.rows_for(user)
        if querysets is None:
            return super().first_for(user, limit)
        total = sum(queryset.count() for queryset in querysets)
        if limit <= 0 or total == 0:
            return WorkPage(items=[], total=total)
        ids = [pk for queryset in querysets for pk in queryset.values_list("pk", flat=True)[:limit]]
        return WorkPage(items=sorted(self._of(user, Q(pk__in=ids)), key=home_order)[:limit], total=total)

    def count_for(self, user: User) -> int:
        querysets = self.rows_for(user)
        if querysets is None:
            return super().count_for(user)
        return sum(queryset.count() for queryset in querysets)


def in_institutions(path: str, institutions: frozenset[int]) -> Q | None:
    return Q(**{f"{path}__in": institutions}) if institutions else None
