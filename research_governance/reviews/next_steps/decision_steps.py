"""After the decision: the applicants answer each condition, the chair (or the secretariat) signs
each answer off, the head permits once every condition is signed off (JP-ERC-13), and each
participating site's head permits for their site (JP-ERC-12). "Revise" goes back to the
applicants (``applicant_steps.RESUBMIT``)."""

from collections import defaultdict

from django.db.models import Count, Max, Q, QuerySet
from django.db.models.functions import Coalesce, Greatest
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import Role, User
from research_governance.core.i18n import said_later
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem
from research_governance.protocols.models import Site
from research_governance.reviews.models import Condition, Decision, SitePermission
from research_governance.reviews.permission.services import (
    ready_for_permission,
    sites_with_own_permission,
)
from research_governance.reviews.workflow import ConditionState, PermissionState, SubmissionKind, SubmissionStatus

from .applicant_steps import RESUBMIT
from .base import ScopedFinder, applicant_protocol_ids, applicants, holders, in_institutions, item_on, protocol_link
from .base import where_user_holds as held
from .review_steps import DECIDERS

ANSWER_CONDITION = Step(
    code="ethics.answer_condition",
    actor=NextActor.APPLICANT,
    label=_("Answer the committee's conditions"),
    waiting=_("Waiting for the investigator's answers to the conditions"),
    due_rule=_("No due date"),
)
SIGN_OFF = Step(
    code="ethics.sign_off",
    actor=NextActor.CHAIR,
    label=_("Sign off the answered condition"),
    waiting=_("Waiting for the chair's sign-off of the condition"),
    due_rule=_("7 days after the answer"),
    due_days=7,
)
PERMIT = Step(
    code="ethics.permit",
    actor=NextActor.HEAD,
    label=_("Permit the research, or refuse"),
    waiting=_("Waiting for the head of institution's permission"),
    due_rule=_("14 days after the decision (or after the last condition was signed off)"),
    due_days=14,
)
SITE_PERMIT = Step(
    code="ethics.site_permit",
    actor=NextActor.SITE_HEAD,
    label=_("Permit the research at your site, or refuse"),
    waiting=_("Waiting for the participating site head's permission"),
    due_rule=_("14 days after the decision"),
    due_days=14,
)


class ConditionFinder(ScopedFinder):
    """The applicants answer a decision's conditions: one item per decision, so one decision
    tells them once ("condition 2 of 3" names the first still open). Each answered condition goes
    to the officers who sign off (the chair and the secretariat: the workflow's sign-off actors),
    one item per condition, as each answer arrives."""

    protocol_path = "decision__submission__protocol_id"

    def scope(self, user: User) -> Q | None:
        mine = Q(decision__submission__protocol_id__in=applicant_protocol_ids(user), responded_at__isnull=True)
        officer = in_institutions("decision__submission__protocol__institution_id", held(user, *DECIDERS))
        return mine | officer if officer is not None else mine

    def find(self, q: Q) -> list[WorkItem]:
        conditions = list(
            Condition.objects.filter(q)
            .filter(signed_off_at__isnull=True)
            .select_related("decision__submission__protocol")
            .annotate(total=Count("decision__conditions"))
            .order_by("decision_id", "number")
        )
        protocols = {c.decision.submission.protocol for c in conditions}
        team = applicants(p.pk for p in protocols)
        officers = holders({p.institution_id for p in protocols}, *DECIDERS)
        items = []
        asked: set[int] = set()
        for c in conditions:
            protocol = c.decision.submission.protocol
            detail = said_later(_("condition %(number)s of %(total)s"), number=c.number, total=c.total)
            link = protocol_link(protocol.pk, c.decision.submission_id, f"condition-{c.pk}")
            if c.state == ConditionState.OPEN:
                if c.decision_id in asked:
                    continue
                asked.add(c.decision_id)
                step, key, since = ANSWER_CONDITION, f"{ANSWER_CONDITION.code}:{c.decision_id}", c.decision.decided_at
                actors = team.get(protocol.pk, frozenset())
            else:
                assert c.responded_at is not None
                step, key, since = SIGN_OFF, f"{SIGN_OFF.code}:{c.pk}", c.responded_at
                actors = officers.get(protocol.institution_id, frozenset())
            items.append(item_on(step, key, protocol, since=since, actor_ids=actors, link=link, detail=detail))
        return items


class PermitFinder(ScopedFinder):
    """A decision awaiting the head's permission with every condition signed off (the head's queue
    lists these too: ``permission.services.ready_for_permission``)."""

    protocol_path = "submission__protocol_id"

    def scope(self, user: User) -> Q | None:
        return in_institutions("submission__protocol__institution_id", held(user, Role.HEAD))

    def find(self, q: Q) -> list[WorkItem]:
        decisions = list(
            ready_for_permission()
            .filter(q)
            .select_related("submission__protocol")
            .annotate(last_sign_off=Max("conditions__signed_off_at"))
        )
        heads = holders({d.submission.protocol.institution_id for d in decisions}, Role.HEAD)
        return [
            item_on(
                PERMIT,
                f"{PERMIT.code}:{d.pk}",
                d.submission.protocol,
                since=max(d.decided_at, d.last_sign_off or d.decided_at),
                actor_ids=heads.get(d.submission.protocol.institution_id, frozenset()),
                link=protocol_link(d.submission.protocol_id, d.submission_id, "permission"),
                detail=SubmissionKind(d.submission.kind).label,
                rank=d.pk,
            )
            for d in decisions
        ]

    def rows_for(self, user: User) -> list[QuerySet[Decision]]:
        heads = held(user, Role.HEAD)
        if not heads:
            return []
        return [
            ready_for_permission()
            .filter(submission__protocol__institution_id__in=heads)
            .annotate(since=Greatest("decided_at", Coalesce(Max("conditions__signed_off_at"), "decided_at")))
            .order_by("since", "pk")
        ]


class SitePermitFinder(ScopedFinder):
    """A participating site (JP-ERC-12) of a protocol whose latest decision needing permission
    (not refused by the protocol's own head) has no permission from that site yet."""

    def scope(self, user: User) -> Q | None:
        return in_institutions("institution_id", held(user, Role.HEAD))

    def find(self, q: Q) -> list[WorkItem]:
        sites = list(sites_with_own_permission(Site.objects.filter(q)).select_related("protocol"))
        if not sites:
            return []
        latest: dict[int, Decision] = {}
        decisions = (
            Decision.objects.filter(submission__protocol_id__in={s.protocol_id for s in sites}, needs_permission=True)
            .exclude(permission__granted=False)
            .select_related("submission")
            .order_by("-decided_at", "-id")
        )
        for decision in decisions:
            latest.setdefault(decision.submission.protocol_id, decision)
        given = defaultdict(set)
        for decision_id, site_id in SitePermission.objects.filter(
            decision_id__in=[d.pk for d in latest.values()]
        ).values_list("decision_id", "site_id"):
            given[decision_id].add(site_id)
        heads = holders({s.institution_id for s in sites if s.institution_id}, Role.HEAD)
        items = []
        for site in sites:
            found = latest.get(site.protocol_id)
            if found is None or site.pk in given[found.pk] or site.institution_id is None:
                continue
            decision = found
            items.append(
                item_on(
                    SITE_PERMIT,
                    f"{SITE_PERMIT.code}:{decision.pk}:{site.pk}",
                    site.protocol,
                    since=decision.decided_at,
                    actor_ids=heads.get(site.institution_id, frozenset()),
                    link=protocol_link(site.protocol_id, decision.submission_id, "permission"),
                    detail=lazy(lambda site=site: site.display_name, str)(),  # the reader's language
                    institution_id=site.institution_id,
                )
            )
        return items


FINDERS = (ConditionFinder(), PermitFinder(), SitePermitFinder())

DECLARATION = (
    StateSteps(
        workflow="Submission",
        state=SubmissionStatus.DECIDED,
        steps=(ANSWER_CONDITION, SIGN_OFF, PERMIT, SITE_PERMIT, RESUBMIT),
    ),
    StateSteps(workflow="Condition of a decision", state=ConditionState.OPEN, steps=(ANSWER_CONDITION,)),
    StateSteps(workflow="Condition of a decision", state=ConditionState.ANSWERED, steps=(SIGN_OFF,)),
    StateSteps(
        workflow="Condition of a decision",
        state=ConditionState.SIGNED_OFF,
        terminal=Terminal(_("The condition is met and signed off.")),
    ),
    StateSteps(workflow="Head's permission (JP-ERC-13)", state=PermissionState.AWAITING, steps=(PERMIT, SITE_PERMIT)),
    StateSteps(
        workflow="Head's permission (JP-ERC-13)",
        state=PermissionState.PERMITTED,
        steps=(SITE_PERMIT,),
    ),
    StateSteps(
        workflow="Head's permission (JP-ERC-13)",
        state=PermissionState.REFUSED,
        terminal=Terminal(_("The head did not permit the research; it may not be conducted.")),
    ),
)
