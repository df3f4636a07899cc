"""Who must act next, on what, by when: the types every workflow declares its next steps with.

A workflow (the ethics review in ``reviews.next_steps``, data access in ``agreements.next_steps``)
declares a ``Step`` for each thing a person can be waiting to do, with the actor who does it and
the rule for its due date; each of its states maps to the steps that can be pending in it, or
to ``TERMINAL``. The same declaration answers every question about the next step: the role
homes ("Waiting for you"), the next-step panel of a page, the hand-off notifications
(``notifications.handoff``) and the reminders. No page computes its own idea of the next step.
"""

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise


class NextActor(StrEnum):
    """Who acts on a step. Each is resolved to people at the subject's institution."""

    # The principal investigator and the team members the PI delegated to edit and submit.
    APPLICANT = "applicant"
    SECRETARIAT = "secretariat"
    # A member assigned to review (and to declare conflicts first).
    REVIEWER = "reviewer"
    CHAIR = "chair"
    # The members of a committee meeting (attendance, votes).
    MEMBER = "member"
    # The head of the protocol's institution (JP-ERC-13).
    HEAD = "head"
    # The head of a participating site (JP-ERC-12).
    SITE_HEAD = "site_head"
    # The person who made a data-access request, and their team (terms).
    REQUESTER = "requester"
    TEAM_MEMBER = "team_member"
    # The data access committee's chair or secretariat, and its assigned reviewers.
    DAC_OFFICER = "dac_officer"
    DAC_REVIEWER = "dac_reviewer"
    # The study team of the providing protocol (refusals, provision records).
    PROVIDER = "provider"
    # The recipients of data under an agreement (acknowledging a refusal or a withdrawal).
    RECIPIENT = "recipient"
    AUDITOR = "auditor"
    ADMINISTRATOR = "administrator"


# The order the home page groups a user's work in when they hold several roles.
ACTOR_ORDER: tuple[NextActor, ...] = tuple(NextActor)


@dataclass(frozen=True)
class Step:
    """Something a person can be waiting to do.

    ``label`` is said to the actor ("Pre-screen the submission"); ``waiting`` to everyone else
    ("Waiting for the secretariat's pre-screening"). A due date is ``due_days`` after the step
    became pending, unless the source gives one of its own (a reviewer's due date, a report's);
    ``due_rule`` says in words which, for the workflow table in docs/workflow.md.
    """

    code: str
    actor: NextActor
    label: Promise
    waiting: Promise
    due_rule: Promise
    due_days: int | None = None
    # Whether the actor is told when the step becomes pending (always, but for steps the same
    # person just created for themself, which ``handoff`` skips anyway).
    notifies: bool = True

    def due_from(self, since: datetime | date) -> date | None:
        if self.due_days is None:
            return None
        # The day in the institution's time zone: 08:00 in Tokyo is still the previous day in UTC.
        day = timezone.localdate(since) if isinstance(since, datetime) else since
        return day + timedelta(days=self.due_days)


@dataclass(frozen=True)
class Terminal:
    """A state in which nobody has anything to do."""

    why: Promise


@dataclass(frozen=True)
class StateSteps:
    """What can be pending while a workflow's subject is in one state."""

    workflow: str
    state: str
    steps: tuple[Step, ...] = ()
    terminal: Terminal | None = None

    def __post_init__(self) -> None:
        if bool(self.steps) == bool(self.terminal):
            raise ValueError(f"{self.workflow} / {self.state}: name its next steps or declare it terminal, not both")


@dataclass(frozen=True)
class WorkItem:
    """One step pending on one subject: a row of someone's "Waiting for you".

    ``key`` identifies this occurrence of the step (a new round, a new condition, a new meeting
    make a new key), so a hand-off is announced once per occurrence (``notifications.handoff``).
    ``actor_ids`` are the people who may act on it now.
    """

    step: Step
    key: str
    reference: str
    # The subject's title in each language ({"ja": ..., "en": ...}).
    title: dict[str, str]
    link: str
    since: datetime
    institution_id: int
    actor_ids: frozenset[int]
    due: date | None = None
    protocol_id: int | None = None
    # Set on the items of a data-access request: the request is their subject, not a protocol.
    request_id: int | None = None
    # Extra words after the label: "2 of 3", a condition's number, a meeting's date.
    detail: str | Promise = ""
    # Parameters a template may use (counts, names); not part of the identity.
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    # The id of the row the item was found from: the last tie-break of ``home_order``, which a
    # finder's SQL ordering repeats (ORDER BY since, id).
    rank: int = field(default=0, compare=False, hash=False)
    # The protocols an item of ``institution_steps`` takes part in (a meeting's agenda): their
    # teams find it under "Waiting for others".
    spans: frozenset[int] = field(default=frozenset(), compare=False, hash=False)

    def is_actor(self, user: Any) -> bool:
        return getattr(user, "pk", None) in self.actor_ids

    def is_overdue(self, today: date) -> bool:
        return self.due is not None and self.due < today

    @property
    def actor(self) -> NextActor:
        return self.step.actor


def waiting_order(item: WorkItem) -> tuple[Any, ...]:
    """By due date (so the most overdue first), then the longest waiting; undated items last.
    Within one step of one finder this is the order of (since, row id), which SQL can give."""
    return (item.due or date.max, item.since, item.step.code, item.rank, item.key)


def home_order(item: WorkItem) -> tuple[Any, ...]:
    """The order of a user's "Waiting for you": by the role they act in (``ACTOR_ORDER``), then
    ``waiting_order``. Every source's ``first_for`` gives its items in this order."""
    return (ACTOR_ORDER.index(item.actor), *waiting_order(item))


def oldest_first(items: Iterable[WorkItem]) -> list[WorkItem]:
    """Overdue first (the most overdue at the top), then by due date, then the longest waiting:
    sorting by due date puts the overdue first by itself."""
    return sorted(items, key=waiting_order)


@dataclass(frozen=True)
class WorkPage:
    """The first items of someone's work in ``home_order``, and the number of all of them."""

    items: list[WorkItem]
    total: int

    @classmethod
    def of(cls, items: Iterable[WorkItem], limit: int) -> "WorkPage":
        ordered = sorted(items, key=home_order)
        return cls(items=ordered[: max(limit, 0)], total=len(ordered))

    @classmethod
    def from_rows(cls, rows: Any, limit: int, build: Callable[[Any], list[WorkItem]]) -> "WorkPage":
        """The first ``limit`` rows of an ordered queryset built into items, and ``COUNT(*)`` of all:
        for a finder whose every row is one of the user's items, in ``home_order``."""
        total = rows.count()
        return cls(items=build(rows[: max(limit, 0)]) if total and limit > 0 else [], total=total)

    @classmethod
    def merged(cls, pages: Iterable["WorkPage"], limit: int) -> "WorkPage":
        """Each page holds the first ``limit`` of its part, so the first ``limit`` of them all are among them."""
        pages = list(pages)
        ordered = sorted((item for page in pages for item in page.items), key=home_order)
        return cls(items=ordered[: max(limit, 0)], total=sum(page.total for page in pages))


class WorkSource(ABC):
    """A workflow's steps, declared and found. Subclasses (``reviews.next_steps``,
    ``agreements.next_steps``) register one instance in ``AppConfig.ready()``.

    ``declaration`` is the table: every state of every workflow of the source with its steps or
    ``Terminal``. ``for_user`` finds the items where the user is an actor (the home page: a few
    queries, however many rows; ``actor_ids`` hold at least the user). ``about`` finds every
    item pending on the given protocols or requests, with all their actors (the next-step
    panels, the hand-off notifications).
    """

    name: str = ""
    # Steps about no protocol or request (an administrator's committee roster, a role's term
    # ending): no subject's change replaces them, so the inbox (``notifications.inbox``) does not
    # keep them; ``live_for`` finds them afresh for the home page.
    live_steps: frozenset[str] = frozenset()
    # Steps about an institution's business that spans protocols (a meeting and its agenda): the
    # inbox keeps them per institution, found again (``about_institutions``) whenever a subject
    # of the institution changes, with the protocols they span (``WorkItem.spans``).
    institution_steps: frozenset[str] = frozenset()

    @abstractmethod
    def declaration(self) -> tuple[StateSteps, ...]: ...

    @abstractmethod
    def for_user(self, user: Any) -> list[WorkItem]: ...

    @abstractmethod
    def about(self, *, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]: ...

    def first_for(self, user: Any, limit: int) -> "WorkPage":
        """The first ``limit`` of ``for_user`` in ``home_order``, and how many there are in all.
        A source whose items grow with an institution's volume (a secretariat's 4,000
        pre-screens) answers it in SQL instead of building every item."""
        return WorkPage.of(self.for_user(user), limit)

    def count_for(self, user: Any) -> int:
        return self.first_for(user, 0).total

    def live_for(self, user: Any) -> list[WorkItem]:
        """The user's items of ``live_steps``: the part of ``for_user`` the inbox does not keep."""
        return []

    def about_institutions(self, institution_ids: Iterable[int]) -> list[WorkItem]:
        """Every item of ``institution_steps`` pending at these institutions, with all its actors."""
        return []

    def seen_from(self, item: WorkItem, protocol_id: int) -> WorkItem:
        """An item of ``institution_steps`` as the team of one protocol it spans sees it under
        "Waiting for others" (they may not open a meeting's page, but may open their protocol's)."""
        return item

    def as_held_by(self, items: Iterable[WorkItem]) -> list[tuple[int, WorkItem]]:
        """Each of ``about``'s items as each of its actors finds it in ``for_user``: (user id, the
        item with that user alone as actor). A source whose items change with the person (a step
        taken under another role) says how."""
        return [
            (user_id, replace(item, actor_ids=frozenset({user_id}))) for item in items for user_id in item.actor_ids
        ]


_sources: dict[str, WorkSource] = {}


def register_source(source: WorkSource) -> WorkSource:
    """Idempotent: ``ready()`` may run more than once in tests."""
    _sources[source.name] = source
    return source


def work_sources() -> tuple[WorkSource, ...]:
    return tuple(_sources.values())


def declared_steps() -> tuple[StateSteps, ...]:
    return tuple(row for source in work_sources() for row in source.declaration())


def work_for(user: Any) -> list[WorkItem]:
    """Everything pending where ``user`` is the next actor, from every workflow."""
    return [item for source in work_sources() for item in source.for_user(user)]


def first_work_for(user: Any, limit: int) -> WorkPage:
    """The first ``limit`` items of everything ``work_for`` finds, in ``home_order``, and how many
    there are: what one page of "Waiting for you" needs, whatever the volume behind it."""
    return WorkPage.merged((source.first_for(user, limit) for source in work_sources()), limit)


def count_work_for(user: Any) -> int:
    """How many items ``work_for`` finds (the menu's badge), counted in SQL where a source can."""
    return sum(source.count_for(user) for source in work_sources())


def work_about(*, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]:
    """Everything pending on these protocols and requests, with who acts on each."""
    protocol_ids, request_ids = list(protocol_ids), list(request_ids)
    if not protocol_ids and not request_ids:
        return []
    return [
        item for source in work_sources() for item in source.about(protocol_ids=protocol_ids, request_ids=request_ids)
    ]
