"""What the home page shows: the work waiting for the user, grouped by the role they act in,
and what the user waits for from others. Built only on ``core.work``, whose answers the inbox
keeps (``notifications.inbox``): no page here decides for itself who acts next."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import overload

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.agreements.models import DataAccessRequest
from research_governance.agreements.workflow import RequestStatus
from research_governance.core.i18n import localized
from research_governance.core.work import (
    ACTOR_ORDER,
    NextActor,
    WorkItem,
    WorkPage,
)
from research_governance.notifications import inbox
from research_governance.protocols.models import ProtocolStatus
from research_governance.protocols.permissions import team_protocols

# The heading of each group on the home page, said to the person acting in that role.
ROLE_HEADINGS: dict[NextActor, Promise] = {
    NextActor.APPLICANT: _("As an applicant"),
    NextActor.SECRETARIAT: _("As the secretariat"),
    NextActor.REVIEWER: _("As a reviewer"),
    NextActor.CHAIR: _("As the chair"),
    NextActor.MEMBER: _("As a committee member"),
    NextActor.HEAD: _("As the head of the institution"),
    NextActor.SITE_HEAD: _("As the head of a participating site"),
    NextActor.REQUESTER: _("As a requester of data"),
    NextActor.TEAM_MEMBER: _("As a member of a requesting team"),
    NextActor.DAC_OFFICER: _("For the data access committee"),
    NextActor.DAC_REVIEWER: _("As a reviewer for the data access committee"),
    NextActor.PROVIDER: _("As a provider of data"),
    NextActor.RECIPIENT: _("As a recipient of data"),
    NextActor.AUDITOR: _("As an auditor"),
    NextActor.ADMINISTRATOR: _("As an administrator"),
}

# Protocols on which something can still be pending, for "Waiting for others": not drafts
# (nobody else acts on them) and not those whose story has ended.
OPEN_PROTOCOL_STATUSES = (
    ProtocolStatus.RETURNED,
    ProtocolStatus.SUBMITTED,
    ProtocolStatus.IN_REVIEW,
    ProtocolStatus.AWAITING_PERMISSION,
    ProtocolStatus.APPROVED,
    ProtocolStatus.SUSPENDED,
)
OPEN_REQUEST_STATUSES = (
    RequestStatus.SUBMITTED,
    RequestStatus.RETURNED,
    RequestStatus.ACCEPTED,
    RequestStatus.DECIDED,
)
WAITING_FOR_OTHERS_LIMIT = 25
# Oversight is not a step of the study team's journey: an approval is in force before an auditor
# checks it, and "waiting for an auditor" would tell the team otherwise.
OVERSIGHT_ACTORS = frozenset({NextActor.AUDITOR, NextActor.ADMINISTRATOR})
# "Waiting for others" asks about the user's most recently changed open protocols and requests
# only, so its cost does not grow with a long career of studies (a team member of 500).
RECENT_SUBJECTS = 50


@dataclass(frozen=True)
class Row:
    """One item as the reader sees it, its words already in their language: a home page lists 25,
    and putting each into words in Python costs a fraction of doing it in the template."""

    item: WorkItem
    title: str
    overdue: bool
    label: str
    detail: str
    since: str  # "Waiting since 2026-12-03"
    waiting: str  # "Waiting for the secretariat's pre-screening since 2026-12-03"
    due: str  # "Due 2026-12-10", "was due 2026-12-01", or ""


@dataclass(frozen=True)
class Group:
    """The items of one page where the user acts in one role. ``continued``: the group began
    on the page before."""

    actor: NextActor
    heading: Promise | str
    continued: bool
    rows: list[Row]


def as_row(item: WorkItem, today: date) -> Row:
    title = localized(item.title.get("ja", ""), item.title.get("en", ""))
    overdue = item.is_overdue(today)
    since = timezone.localdate(item.since).isoformat()
    due = ""
    if item.due is not None:
        due = (_("was due %(date)s") if overdue else _("Due %(date)s")) % {"date": item.due.isoformat()}
    return Row(
        item=item,
        title=title,
        overdue=overdue,
        label=str(item.step.label),
        detail=str(item.detail),
        since=_("Waiting since %(date)s") % {"date": since},
        waiting=_("%(waiting)s since %(date)s") % {"waiting": item.step.waiting, "date": since},
        due=due,
    )


def _group_rank(actor: NextActor) -> int:
    return ACTOR_ORDER.index(actor)


class WaitingForYou:
    """Everything where the user is the next actor, in ``core.work.home_order`` (by the role they
    act in, then overdue first, then by due date, then the longest waiting), for a Paginator:
    its count and a page are read from the inbox (``notifications.inbox``), so a page costs the
    same whatever the volume behind it."""

    def __init__(self, user: User, expected: int) -> None:
        self.user = user
        # The items the page asked for are all read at once; a later slice beyond them reads again.
        self._page: WorkPage = inbox.first_for(user, expected)
        self._all = len(self._page.items) >= self._page.total

    def count(self) -> int:
        return self._page.total

    def __len__(self) -> int:
        return self._page.total

    def __iter__(self) -> Iterator[WorkItem]:
        return iter(self._first(self._page.total))

    def _first(self, needed: int) -> list[WorkItem]:
        if not self._all and needed > len(self._page.items):
            self._page = inbox.first_for(self.user, needed)
            self._all = len(self._page.items) >= self._page.total
        return self._page.items

    @overload
    def __getitem__(self, index: int) -> WorkItem: ...
    @overload
    def __getitem__(self, index: slice) -> list[WorkItem]: ...
    def __getitem__(self, index: int | slice) -> WorkItem | list[WorkItem]:
        if isinstance(index, slice):
            return self._first(index.stop if index.stop is not None else self._page.total)[index]
        return self._first(index + 1)[index]


def home_groups(items: list[WorkItem], today: date, *, previous: WorkItem | None = None) -> list[Group]:
    """One page's items (already in ``home_order``) in their groups; ``previous``
    is the item just before the page, to tell a group that goes on from the page before."""
    groups: list[Group] = []
    for item in items:
        if not groups or groups[-1].actor != item.actor:
            continued = not groups and previous is not None and previous.actor == item.actor
            heading = ROLE_HEADINGS.get(item.actor, str(item.actor))
            groups.append(Group(actor=item.actor, heading=heading, continued=continued, rows=[]))
        groups[-1].rows.append(as_row(item, today))
    return groups


def waiting_for_others(user: User, limit: int = WAITING_FOR_OTHERS_LIMIT) -> list[WorkItem]:
    """What is pending, for someone else, on the user's own protocols (as a team member) and
    data-access requests (as the requester): the newest ``limit`` items, from the
    ``RECENT_SUBJECTS`` most recently changed open protocols and requests."""
    protocols = team_protocols(user).filter(status__in=OPEN_PROTOCOL_STATUSES).order_by("-updated_at", "-pk")
    requests = DataAccessRequest.objects.filter(requester=user, status__in=OPEN_REQUEST_STATUSES).order_by(
        "-updated_at", "-pk"
    )
    # The ids first (two index scans): as subqueries, PostgreSQL would scan every pending item.
    protocol_ids = list(protocols.values_list("pk", flat=True)[:RECENT_SUBJECTS])
    request_ids = list(requests.values_list("pk", flat=True)[:RECENT_SUBJECTS])
    if not protocol_ids and not request_ids:
        return []
    return inbox.pending_on(
        user,
        protocol_ids=protocol_ids,
        request_ids=request_ids,
        exclude_actors=OVERSIGHT_ACTORS,
        limit=limit,
    )


def waiting_count(user: User) -> int:
    """How many items wait for the user (the navigation's badge): one indexed count of the inbox."""
    return inbox.count_for(user)
