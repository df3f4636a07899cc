"""Oversight's next steps: what waits for the auditors and the administrators.

Auditors check every approval of their institution (``APPROVAL_CHECK``): an approval waits for
them from the moment it is issued until one of them records a check (``services``). A new
approval reaches them through the hand-off: the reviews services announce the protocol at the end
of the transaction that issued it, and ``about`` returns this item for that protocol, so the
auditors are told once, with no import from reviews up to here.

Administrators keep the institution's offices in order: an ethics committee whose roster fails the
rulebook's composition rules (the same check as the committee's page), and a role whose term ends
within 30 days with no renewal recorded. These are institution-wide, not about a protocol: they
appear on the administrator's home (``for_user``); ``about`` has nothing for them.

Each finder answers ``for_user`` and ``about`` from the same filter, as ``reviews.next_steps`` does.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.accounts.selectors import institutions_with_role
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.committees.selectors import committee_seats, roster_as_engine_input
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem, WorkPage, WorkSource
from research_governance.notifications.messages import bilingual, person
from research_governance.reviews.models import Approval
from research_governance.rules import check_committee

APPROVAL_CHECK = Step(
    code="oversight.approval_check",
    actor=NextActor.AUDITOR,
    label=_("Check the approval"),
    waiting=_("Waiting for an auditor's check"),
    due_rule=_("30 days after the approval was issued"),
    due_days=30,
)
COMMITTEE_COMPOSITION = Step(
    code="oversight.committee_composition",
    actor=NextActor.ADMINISTRATOR,
    label=_("Fix the committee's membership"),
    waiting=_("Waiting for an administrator to fix the committee's membership"),
    due_rule=_("30 days after the roster stopped meeting the composition rules"),
    due_days=30,
)
# How long before a role's term ends the administrator is asked to renew or end it.
ROLE_NOTICE_DAYS = 30
ROLE_ENDING = Step(
    code="oversight.role_ending",
    actor=NextActor.ADMINISTRATOR,
    label=_("Renew or end the role"),
    waiting=_("Waiting for an administrator to renew or end the role"),
    due_rule=_("The last day of the role's term"),
)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def holders(institution_ids: Iterable[int], role: str) -> dict[int, frozenset[int]]:
    """Who holds ``role`` today at each institution: {institution id: user ids}, one query."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = (
        RoleMembership.objects.current()
        .filter(institution_id__in=set(institution_ids), role=role, user__is_active=True)
        .values_list("institution_id", "user_id")
    )
    for institution_id, user_id in rows:
        found[institution_id].add(user_id)
    return {institution_id: frozenset(users) for institution_id, users in found.items()}


class ApprovalCheckFinder:
    """Every approval no auditor has checked yet, for the auditors of its protocol's institution."""

    def _pending(self) -> QuerySet[Approval]:
        return Approval.objects.filter(audit_check__isnull=True).select_related("protocol").order_by("created_at", "pk")

    def _items(self, approvals: Iterable[Approval], actors: dict[int, frozenset[int]]) -> list[WorkItem]:
        return [
            WorkItem(
                step=APPROVAL_CHECK,
                key=f"{APPROVAL_CHECK.code}:{approval.pk}",
                reference=approval.protocol.reference or "",
                title=bilingual(approval.protocol.title_ja, approval.protocol.title_en),
                link=reverse("oversight:approval_check", args=[approval.pk]),
                since=approval.created_at,
                due=APPROVAL_CHECK.due_from(approval.created_at),
                institution_id=approval.protocol.institution_id,
                protocol_id=approval.protocol_id,
                actor_ids=actors.get(approval.protocol.institution_id, frozenset()),
                detail=approval.reference,
                rank=approval.pk,
            )
            for approval in approvals
        ]

    def for_user(self, user: User) -> list[WorkItem]:
        institutions = institutions_with_role(user, Role.AUDITOR)
        if not institutions:
            return []
        approvals = self._pending().filter(protocol__institution_id__in=institutions)
        return self._items(approvals, {i: frozenset({user.pk}) for i in institutions})

    def first_for(self, user: User, limit: int) -> WorkPage:
        """In SQL: approvals pile up for years if nobody checks them."""
        institutions = institutions_with_role(user, Role.AUDITOR)
        if not institutions:
            return WorkPage(items=[], total=0)
        approvals = self._pending().filter(protocol__institution_id__in=institutions)
        actors = {i: frozenset({user.pk}) for i in institutions}
        return WorkPage.from_rows(approvals, limit, lambda rows: self._items(rows, actors))

    def about(self, protocol_ids: list[int]) -> list[WorkItem]:
        approvals = list(self._pending().filter(protocol_id__in=protocol_ids))
        return self._items(approvals, holders({a.protocol.institution_id for a in approvals}, Role.AUDITOR))


def roster_changed_on(memberships: Iterable[CommitteeMembership], today: date) -> date:
    """The last day, up to today, on which the sitting roster changed: a seat began or ended."""
    days = [m.valid_from for m in memberships if m.valid_from <= today]
    days += [m.valid_to + timedelta(days=1) for m in memberships if m.valid_to is not None and m.valid_to < today]
    return max(days, default=today)


class CommitteeCompositionFinder:
    """The institution's ethics committees whose roster today fails the composition rules
    (JP-ERC-01..05 or US-IRB-01/02), judged exactly as the committee's page judges it."""

    def for_institutions(self, institution_ids: Iterable[int], actors: dict[int, frozenset[int]]) -> list[WorkItem]:
        today = timezone.localdate()
        items = []
        committees = Committee.objects.filter(institution_id__in=set(institution_ids), kind=Committee.Kind.ETHICS)
        for committee in committees.order_by("code"):
            seats = committee_seats(committee, on=today)
            verdict = check_committee(roster_as_engine_input(committee, seats.roster))
            if verdict["composition"]["valid"]:
                continue
            since = _start_of(roster_changed_on([*seats.roster, *seats.former, *seats.secretariat], today))
            rules = sorted({violation["rule_id"] for violation in verdict["composition"]["violations"]})
            items.append(
                WorkItem(
                    step=COMMITTEE_COMPOSITION,
                    key=f"{COMMITTEE_COMPOSITION.code}:{committee.pk}:{since.date().isoformat()}",
                    reference=committee.code,
                    title=bilingual(committee.name_ja, committee.name_en),
                    link=reverse("committees:detail", args=[committee.pk]),
                    since=since,
                    due=COMMITTEE_COMPOSITION.due_from(since),
                    institution_id=committee.institution_id,
                    actor_ids=actors.get(committee.institution_id, frozenset()),
                    detail=", ".join(rules),
                    extra={"rule_ids": rules},
                )
            )
        return items

    def for_user(self, user: User) -> list[WorkItem]:
        institutions = institutions_with_role(user, Role.ADMINISTRATOR)
        if not institutions:  # no query for everyone else: every home page asks
            return []
        return self.for_institutions(institutions, {i: frozenset({user.pk}) for i in institutions})


class RoleEndingFinder:
    """Role memberships at the institution whose term ends within ``ROLE_NOTICE_DAYS`` days
    (today included), unless a later term of the same role is already recorded (renewed)."""

    def _ending(self, institution_ids: Iterable[int]) -> QuerySet[RoleMembership]:
        today = timezone.localdate()
        renewed = RoleMembership.objects.filter(
            user_id=OuterRef("user_id"),
            institution_id=OuterRef("institution_id"),
            role=OuterRef("role"),
            valid_from__gt=OuterRef("valid_from"),
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("valid_to")))
        return (
            RoleMembership.objects.current(today)
            .filter(
                institution_id__in=set(institution_ids),
                valid_to__isnull=False,
                valid_to__lte=today + timedelta(days=ROLE_NOTICE_DAYS),
                user__is_active=True,
            )
            .exclude(Exists(renewed))
            .select_related("user")
            .order_by(F("valid_to").asc(), "pk")
        )

    def for_user(self, user: User) -> list[WorkItem]:
        institutions = institutions_with_role(user, Role.ADMINISTRATOR)
        if not institutions:
            return []
        return [
            WorkItem(
                step=ROLE_ENDING,
                key=f"{ROLE_ENDING.code}:{membership.pk}:{membership.valid_to.isoformat()}",
                reference=membership.user.email,
                title=person(membership.user),
                link=reverse("admin:accounts_user_change", args=[membership.user_id]),
                since=_start_of(membership.valid_to - timedelta(days=ROLE_NOTICE_DAYS)),
                due=membership.valid_to,
                institution_id=membership.institution_id,
                actor_ids=frozenset({user.pk}),
                detail=Role(membership.role).label,
            )
            for membership in self._ending(institutions)
            if membership.valid_to is not None
        ]


class OversightWork(WorkSource):
    name = "oversight"
    live_steps = frozenset({COMMITTEE_COMPOSITION.code, ROLE_ENDING.code})

    approval_checks = ApprovalCheckFinder()
    committee_composition = CommitteeCompositionFinder()
    roles_ending = RoleEndingFinder()

    def declaration(self) -> tuple[StateSteps, ...]:
        return DECLARATION

    def for_user(self, user: Any) -> list[WorkItem]:
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return []
        return [
            *self.approval_checks.for_user(user),
            *self.committee_composition.for_user(user),
            *self.roles_ending.for_user(user),
        ]

    def first_for(self, user: Any, limit: int) -> WorkPage:
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return WorkPage(items=[], total=0)
        return WorkPage.merged(
            [self.approval_checks.first_for(user, limit), WorkPage.of(self.live_for(user), limit)], limit
        )

    def live_for(self, user: Any) -> list[WorkItem]:
        """The administrators' items: a handful per institution, found afresh on every page."""
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return []
        return [*self.committee_composition.for_user(user), *self.roles_ending.for_user(user)]

    def about(self, *, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]:
        """The approvals of these protocols waiting for the auditors' check; the administrators'
        items are about no protocol."""
        ids = list(protocol_ids)
        if not ids:
            return []
        return self.approval_checks.about(ids)


DECLARATION = (
    StateSteps(workflow="Approval check", state="unchecked", steps=(APPROVAL_CHECK,)),
    StateSteps(
        workflow="Approval check",
        state="checked",
        terminal=Terminal(_("An auditor checked the approval; the check is in the audit trail.")),
    ),
    StateSteps(workflow="Committee composition", state="fails the rules", steps=(COMMITTEE_COMPOSITION,)),
    StateSteps(
        workflow="Committee composition",
        state="meets the rules",
        terminal=Terminal(_("The roster meets the composition rules.")),
    ),
    StateSteps(workflow="Role membership", state="ending within 30 days", steps=(ROLE_ENDING,)),
    StateSteps(
        workflow="Role membership",
        state="current",
        terminal=Terminal(_("The role continues; it is renewed, open-ended or ends later.")),
    ),
    StateSteps(
        workflow="Role membership",
        state="ended",
        terminal=Terminal(_("The term is over; the person no longer holds the role.")),
    ),
)
