"""What every ethics finder shares: resolving actors to people, and building items."""

from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from research_governance.accounts.models import RoleMembership, User
from research_governance.accounts.selectors import institutions_with_role
from research_governance.core.work import Step, WorkItem
from research_governance.notifications.messages import bilingual
from research_governance.protocols.models import Protocol, ProtocolUserObjectPermission
from research_governance.protocols.permissions import SUBMIT


class Finder(ABC):
    """Finds one step's pending items. ``for_user`` and ``about`` must agree: an item is in
    ``for_user(u)`` exactly when ``u`` is in its ``actor_ids`` from ``about``
    (tests/reviews/test_next_steps.py checks this on a populated world)."""

    @abstractmethod
    def for_user(self, user: User) -> list[Any]: ...

    @abstractmethod
    def about(self, protocol_ids: list[int]) -> list[Any]: ...


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
        mine = frozenset({user.pk})
        return [replace(item, actor_ids=mine) for item in self.find(q) if user.pk in item.actor_ids]

    def about(self, protocol_ids: list[int]) -> list[WorkItem]:
        return self.find(Q(**{f"{self.protocol_path}__in": protocol_ids}))


def in_institutions(path: str, institutions: frozenset[int]) -> Q | None:
    return Q(**{f"{path}__in": institutions}) if institutions else None
