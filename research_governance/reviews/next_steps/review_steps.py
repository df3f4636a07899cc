"""From acceptance to decision: the secretariat assigns reviewers (expedited) or puts the
submission on a meeting's agenda (full board); reviewers declare conflicts and review; the chair
(or the secretariat) decides an expedited submission once its reviews are in, or acknowledges a
report that needs no review; the members attend the meeting and vote."""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, User
from research_governance.committees.models import CommitteeMembership
from research_governance.core.work import NextActor, StateSteps, Step, WorkItem
from research_governance.notifications.messages import bilingual
from research_governance.reviews.engine.models import AssignmentStatus
from research_governance.reviews.meeting.selectors import meeting_day
from research_governance.reviews.meeting.workflow import OPEN_STATUSES
from research_governance.reviews.models import AgendaItem, Meeting, ReviewerAssignment, Submission
from research_governance.reviews.workflow import KIND_RULES, ReviewRoute, SubmissionKind, SubmissionStatus

from .base import ScopedFinder, held_first, holders, in_institutions, item_on, protocol_link, where_user_holds

ASSIGN = Step(
    code="ethics.assign",
    actor=NextActor.SECRETARIAT,
    label=_("Assign a reviewer"),
    waiting=_("Waiting for the secretariat to assign a reviewer"),
    due_rule=_("7 days after acceptance (expedited), or after the last reviewer was taken off"),
    due_days=7,
)
REVIEW = Step(
    code="ethics.review",
    actor=NextActor.REVIEWER,
    label=_("Declare any conflict of interest and review"),
    waiting=_("Waiting for the reviewer's review"),
    due_rule=_("The due date of the assignment"),
)
DECIDE = Step(
    code="ethics.decide",
    actor=NextActor.CHAIR,
    label=_("Take the reviews to a decision"),
    waiting=_("Waiting for the committee's decision"),
    due_rule=_("14 days after the last review was submitted"),
    due_days=14,
)
ACKNOWLEDGE = Step(
    code="ethics.acknowledge",
    actor=NextActor.CHAIR,
    label=_("Acknowledge the report, or ask for more"),
    waiting=_("Waiting for the committee to acknowledge the report"),
    due_rule=_("14 days after acceptance"),
    due_days=14,
)
AGENDA = Step(
    code="ethics.agenda",
    actor=NextActor.SECRETARIAT,
    label=_("Put the submission on a meeting's agenda"),
    waiting=_("Waiting for the secretariat to put it on a meeting's agenda"),
    due_rule=_("30 days after acceptance (or after it was deferred)"),
    due_days=30,
)
ATTEND = Step(
    code="ethics.meeting",
    actor=NextActor.MEMBER,
    label=_("Attend the meeting and vote"),
    waiting=_("Waiting for the committee's meeting"),
    due_rule=_("The day of the meeting"),
    # The members receive the meeting's notice and agenda instead (reviews.meeting.notices).
    notifies=False,
)

# The officers who take an expedited item to its decision: the workflow's "decide" actors.
DECIDERS = (Role.CHAIR, Role.SECRETARIAT)


# The kinds an expedited reviewer reviews; the others (reports) are acknowledged.
REVIEWED_KINDS = tuple(kind for kind, rules in KIND_RULES.items() if rules.needs_review)


def _needs_review(kind: str) -> bool:
    return kind in REVIEWED_KINDS


def _accepted_with_assignments() -> QuerySet[Any]:
    """Accepted submissions with their assignments counted by state and the last review's time:
    what ``AssignmentFinder`` branches on, in ``find`` and in ``rows_for`` alike."""
    return Submission.objects.filter(status=SubmissionStatus.ACCEPTED).annotate(
        live=Count("assignments", filter=Q(assignments__status=AssignmentStatus.ASSIGNED)),
        done=Count("assignments", filter=Q(assignments__status=AssignmentStatus.COMPLETED)),
        withdrawn=Count("assignments", filter=Q(assignments__status=AssignmentStatus.WITHDRAWN)),
        last_review=Max("assignments__completed_at"),
    )


class AssignmentFinder(ScopedFinder):
    """Accepted submissions before their decision. Expedited: assign (no live assignment), decide
    (the reviews all in), or acknowledge (a report, which needs no review). Full board: assign
    another reviewer when a conflict (or the secretariat) took the last one off. One query for
    the rows, one per role for the actors."""

    def scope(self, user: User) -> Q | None:
        return in_institutions("protocol__institution_id", where_user_holds(user, *DECIDERS))

    def find(self, q: Q) -> list[WorkItem]:
        submissions = list(_accepted_with_assignments().filter(q).select_related("protocol"))
        officers = holders({s.protocol.institution_id for s in submissions}, *DECIDERS)
        secretariat = holders({s.protocol.institution_id for s in submissions}, Role.SECRETARIAT)
        items = []
        for s in submissions:
            institution = s.protocol.institution_id
            link = protocol_link(s.protocol_id, s.pk)
            if s.route != ReviewRoute.EXPEDITED:
                if not (s.withdrawn and s.live == 0 and s.done == 0):
                    continue
                step, key, since = ASSIGN, f"{ASSIGN.code}:{s.pk}:{s.withdrawn}", s.status_changed_at
                actors = secretariat.get(institution, frozenset())
            elif not _needs_review(s.kind):
                step, key, since = ACKNOWLEDGE, f"{ACKNOWLEDGE.code}:{s.pk}", s.status_changed_at
                actors = officers.get(institution, frozenset())
            elif s.live == 0 and s.done == 0:
                step, key, since = ASSIGN, f"{ASSIGN.code}:{s.pk}:{s.withdrawn}", s.status_changed_at
                actors = secretariat.get(institution, frozenset())
            elif s.live == 0:
                step, key, since = DECIDE, f"{DECIDE.code}:{s.pk}", s.last_review or s.status_changed_at
                actors = officers.get(institution, frozenset())
            else:
                continue
            items.append(
                item_on(
                    step,
                    key,
                    s.protocol,
                    since=since,
                    actor_ids=actors,
                    link=link,
                    detail=SubmissionKind(s.kind).label,
                    rank=s.pk,
                )
            )
        return items

    def rows_for(self, user: User) -> list[QuerySet[Submission]]:
        """The same branches as ``find``, in SQL: assign (the secretariat), acknowledge and
        decide (the chair or the secretariat)."""
        accepted = _accepted_with_assignments()
        querysets: list[QuerySet[Submission]] = []
        secretariat = where_user_holds(user, Role.SECRETARIAT)
        if secretariat:
            unassigned = accepted.filter(protocol__institution_id__in=secretariat, live=0, done=0)
            querysets.append(
                unassigned.filter(
                    (~Q(route=ReviewRoute.EXPEDITED) & Q(withdrawn__gt=0))
                    | Q(route=ReviewRoute.EXPEDITED, kind__in=REVIEWED_KINDS)
                ).order_by("status_changed_at", "pk")
            )
        officers = where_user_holds(user, *DECIDERS)
        if officers:
            expedited = accepted.filter(protocol__institution_id__in=officers, route=ReviewRoute.EXPEDITED)
            held = held_first(user, "protocol__institution_id", officers)
            querysets.append(expedited.exclude(kind__in=REVIEWED_KINDS).order_by(*held, "status_changed_at", "pk"))
            querysets.append(
                expedited.filter(kind__in=REVIEWED_KINDS, live=0, done__gt=0)
                .annotate(since=Coalesce("last_review", "status_changed_at"))
                .order_by(*held, "since", "pk")
            )
        return querysets


class ReviewFinder(ScopedFinder):
    """A reviewer's open assignment on a submission under review; due on the assignment's date."""

    protocol_path = "submission__protocol_id"

    def scope(self, user: User) -> Q | None:
        return Q(reviewer=user)

    def find(self, q: Q) -> list[WorkItem]:
        assignments = (
            ReviewerAssignment.objects.filter(q)
            .filter(status=AssignmentStatus.ASSIGNED, submission__status=SubmissionStatus.ACCEPTED)
            .select_related("submission__protocol")
        )
        return [
            item_on(
                REVIEW,
                f"{REVIEW.code}:{a.pk}",
                a.submission.protocol,
                since=a.assigned_at,
                due=a.due_date,
                actor_ids=frozenset({a.reviewer_id}),
                link=reverse("reviews:workspace", args=[a.pk]),
                detail=SubmissionKind(a.submission.kind).label,
            )
            for a in assignments
        ]


def _on_open_agenda() -> Exists:
    return Exists(
        AgendaItem.objects.filter(
            submission=OuterRef("pk"), outcome="", deferred_at__isnull=True, meeting__status__in=OPEN_STATUSES
        )
    )


class AgendaFinder(ScopedFinder):
    """An accepted full-board submission not on the agenda of a meeting still open."""

    def scope(self, user: User) -> Q | None:
        return in_institutions("protocol__institution_id", where_user_holds(user, Role.SECRETARIAT))

    def find(self, q: Q) -> list[WorkItem]:
        submissions = list(
            Submission.objects.filter(q)
            .filter(status=SubmissionStatus.ACCEPTED, route=ReviewRoute.FULL_BOARD)
            .exclude(_on_open_agenda())
            .select_related("protocol")
            .annotate(deferred=Count("agenda_items", filter=Q(agenda_items__deferred_at__isnull=False)))
        )
        actors = holders({s.protocol.institution_id for s in submissions}, Role.SECRETARIAT)
        return [
            item_on(
                AGENDA,
                f"{AGENDA.code}:{s.pk}:{s.deferred}",
                s.protocol,
                since=s.status_changed_at,
                actor_ids=actors.get(s.protocol.institution_id, frozenset()),
                link=protocol_link(s.protocol_id, s.pk),
                detail=SubmissionKind(s.kind).label,
                rank=s.pk,
            )
            for s in submissions
        ]

    def rows_for(self, user: User) -> list[QuerySet[Submission]]:
        secretariat = where_user_holds(user, Role.SECRETARIAT)
        if not secretariat:
            return []
        return [
            Submission.objects.filter(
                status=SubmissionStatus.ACCEPTED, route=ReviewRoute.FULL_BOARD, protocol__institution_id__in=secretariat
            )
            .exclude(_on_open_agenda())
            .order_by("status_changed_at", "pk")
        ]


def agendas_of(meeting_ids: Iterable[int]) -> dict[int, list[AgendaItem]]:
    """Each meeting's agenda as the members were given it: its items not deferred away, in order."""
    found: dict[int, list[AgendaItem]] = defaultdict(list)
    rows = (
        AgendaItem.objects.filter(meeting_id__in=list(meeting_ids), deferred_at__isnull=True)
        .select_related("submission__protocol")
        .order_by("order", "id")
    )
    for item in rows:
        found[item.meeting_id].append(item)
    return found


def notice_version(meeting: Meeting, agenda: list[AgendaItem]) -> str:
    """What the members were told: the date, the place and the agenda. A change makes a new version."""
    facts = "|".join([meeting.scheduled_at.isoformat(), meeting.location, *(str(i.submission_id) for i in agenda)])
    return hashlib.sha256(facts.encode()).hexdigest()[:12]


def seated(meetings: list[Meeting]) -> dict[int, frozenset[int]]:
    """The members (not the secretariat) sitting on each meeting's committee on its day: one query."""
    memberships = CommitteeMembership.objects.filter(
        committee_id__in={m.committee_id for m in meetings}, user__is_active=True
    ).exclude(role=CommitteeMembership.Role.SECRETARIAT)
    by_committee: dict[int, list[CommitteeMembership]] = defaultdict(list)
    for membership in memberships:
        by_committee[membership.committee_id].append(membership)
    result = {}
    for meeting in meetings:
        day = meeting_day(meeting)
        result[meeting.pk] = frozenset(
            m.user_id
            for m in by_committee[meeting.committee_id]
            if m.valid_from <= day and (m.valid_to is None or m.valid_to >= day)
        )
    return result


def meeting_link(meeting: Meeting) -> str:
    return reverse("committees:meeting_detail", args=[meeting.committee_id, meeting.pk])


class MeetingFinder(ScopedFinder):
    """An open meeting with items to decide: its members attend and vote. One item per meeting
    and notice version (a new date, place or agenda is a new occurrence)."""

    def scope(self, user: User) -> Q | None:
        return Q(committee__memberships__user=user)

    def about(self, protocol_ids: list[int]) -> list[WorkItem]:
        return self.find(Q(items__submission__protocol_id__in=protocol_ids))

    def find(self, q: Q) -> list[WorkItem]:
        meetings = list(
            Meeting.objects.filter(pk__in=Meeting.objects.filter(q).values("pk"), status__in=OPEN_STATUSES)
            .select_related("committee")
            .order_by("scheduled_at", "pk")
        )
        agendas = agendas_of(m.pk for m in meetings)
        meetings = [m for m in meetings if any(item.is_pending for item in agendas.get(m.pk, []))]
        members = seated(meetings)
        items = []
        for meeting in meetings:
            day = meeting_day(meeting)
            agenda = agendas[meeting.pk]
            items.append(
                WorkItem(
                    step=ATTEND,
                    key=f"{ATTEND.code}:{meeting.pk}:{notice_version(meeting, agenda)}",
                    reference=f"{meeting.committee.code} {day.isoformat()}",
                    title=bilingual(meeting.committee.name_ja, meeting.committee.name_en),
                    link=meeting_link(meeting),
                    since=meeting.created_at,
                    due=day,
                    institution_id=meeting.committee.institution_id,
                    actor_ids=members.get(meeting.pk, frozenset()),
                    detail=timezone.localtime(meeting.scheduled_at).strftime("%Y-%m-%d %H:%M"),
                    extra={"meeting_id": meeting.pk, "items": sum(item.is_pending for item in agenda)},
                    spans=frozenset(item.submission.protocol_id for item in agenda),
                )
            )
        return items


MEETINGS = MeetingFinder()
FINDERS = (AssignmentFinder(), ReviewFinder(), AgendaFinder(), MEETINGS)

DECLARATION = (
    StateSteps(
        workflow="Submission",
        state=SubmissionStatus.ACCEPTED,
        steps=(ASSIGN, REVIEW, DECIDE, ACKNOWLEDGE, AGENDA, ATTEND),
    ),
)
