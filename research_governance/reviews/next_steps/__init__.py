"""The ethics review's next steps: for every state of ``reviews.workflow.WORKFLOWS``, what can
be pending, who acts on it and by when, and the queries that find it.

One module per part of the journey declares its ``Step``s, its rows of the state table and its
``Finder``s; ``EthicsWork`` puts them together and is registered in ``ReviewsConfig.ready()``.
A finder answers two questions with the same filter: the items where a user is the actor (the
home page), and every item on some protocols with all its actors (the panels, the hand-offs).
"""

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.db.models import Q
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.core.work import NextActor, StateSteps, WorkItem, WorkPage, WorkSource

from . import applicant_steps, decision_steps, review_steps, submission_steps
from .base import Finder, holders

MODULES = (applicant_steps, submission_steps, review_steps, decision_steps)


def finders() -> tuple[Finder, ...]:
    return tuple(finder for module in MODULES for finder in module.FINDERS)


def chair_work(user: Any) -> list[WorkItem]:
    """The user's items from the finders of the chair's steps (decide, acknowledge, sign off),
    for the chair's queue: the same items as ``for_user`` has, without building the rest."""
    if not (getattr(user, "is_authenticated", False) and user.is_active):
        return []
    chairs = (review_steps.AssignmentFinder, decision_steps.ConditionFinder)
    return [item for finder in finders() if isinstance(finder, chairs) for item in finder.for_user(user)]


class EthicsWork(WorkSource):
    name = "ethics"
    # A meeting is about every protocol on its agenda: kept per institution.
    institution_steps = frozenset({review_steps.ATTEND.code})

    def declaration(self) -> tuple[StateSteps, ...]:
        return tuple(row for module in MODULES for row in module.DECLARATION)

    def for_user(self, user: Any) -> list[WorkItem]:
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return []
        return [item for finder in finders() for item in finder.for_user(user)]

    def first_for(self, user: Any, limit: int) -> WorkPage:
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return WorkPage(items=[], total=0)
        return WorkPage.merged((finder.first_for(user, limit) for finder in finders()), limit)

    def about(self, *, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]:
        ids = list(protocol_ids)
        if not ids:
            return []
        return [item for finder in finders() for item in finder.about(ids)]

    def about_institutions(self, institution_ids: Iterable[int]) -> list[WorkItem]:
        ids = set(institution_ids)
        return review_steps.MEETINGS.find(Q(committee__institution_id__in=ids)) if ids else []

    def seen_from(self, item: WorkItem, protocol_id: int) -> WorkItem:
        """A meeting, for the team of a protocol on its agenda: their protocol's page, which says
        when the committee meets on it."""
        return replace(item, protocol_id=protocol_id, link=reverse("protocols:detail", args=[protocol_id]))

    def as_held_by(self, items: Iterable[WorkItem]) -> list[tuple[int, WorkItem]]:
        """``base.as_held`` for every actor at once: a chair's step is the secretariat's work for
        an actor who is not the chair at the item's institution."""
        items = list(items)
        chairs = holders({item.institution_id for item in items if item.actor == NextActor.CHAIR}, Role.CHAIR)
        held = []
        for user_id, item in super().as_held_by(items):
            if item.actor == NextActor.CHAIR and user_id not in chairs.get(item.institution_id, frozenset()):
                item = replace(item, step=replace(item.step, actor=NextActor.SECRETARIAT))
            held.append((user_id, item))
        return held
