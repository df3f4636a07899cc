"""What every ethics finder shares: resolving actors to people, and building items."""

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from research_governance.accounts.models import RoleMembership, User
from research_governance.accounts.selectors import institutions_with_role
from research_governance.notifications.messages import bilingual
from research_governance.protocols.models import Protocol


class Finder:
    """Finds one step's pending items. ``for_user`` and ``about`` must agree: an item is in
    ``for_user(u)`` exactly when ``u`` is in its ``actor_ids`` from ``about``
    (tests/reviews/test_next_steps.py checks this on a populated world)."""

    def for_user(self, user: User) -> list[Any]:
        raise NotImplementedError

    def about(self, protocol_ids: list[int]) -> list[Any]:
        raise NotImplementedError


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
