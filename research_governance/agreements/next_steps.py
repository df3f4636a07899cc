"""Data access's next steps: for every state of ``agreements.workflow.WORKFLOWS``, what can be
pending, who acts on it and by when, and the queries that find it.

The requester submits (and answers a return); the officers of the provider institution's data
access committee (its chair and secretariat, unconflicted: ``permissions``) pre-screen, assign
reviewers and decide; the assigned reviewers review; after an approval the requester signs for the
recipient, then an officer for the provider; each team member accepts the terms; an agreement
flagged for re-review waits for an officer; an agreement that has ended waits for the recipients to
record the destruction. Refusals: the recipients acknowledge each one, the providing PI records
what was done.

``about`` finds every item on some requests (and, for refusals, some protocols) in a fixed number
of queries; ``for_user`` is ``about`` on the few subjects where the user could be an actor, kept to
the items where they are, so the two cannot disagree.
"""

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.committees.models import CommitteeMembership
from research_governance.core.work import NextActor, StateSteps, Step, Terminal, WorkItem, WorkSource
from research_governance.notifications.messages import bilingual
from research_governance.reviews.engine.models import AssignmentStatus

from . import permissions
from .models import (
    Agreement,
    DataAccessRequest,
    DestructionRecord,
    RefusalAcknowledgement,
    RequestReview,
    RequestTeamMember,
    Signature,
    SubjectRefusal,
)
from .refusal_services import ACKNOWLEDGE_WITHIN
from .workflow import AgreementStatus, GrantState, RequestStatus

SUBMIT = Step(
    code="data.submit",
    actor=NextActor.REQUESTER,
    label=_("Complete and submit the data-access request"),
    waiting=_("Waiting for the requester to submit the request"),
    due_rule=_("No due date: a draft waits for the requester"),
)
RESUBMIT = Step(
    code="data.resubmit",
    actor=NextActor.REQUESTER,
    label=_("Answer the committee's requests and submit the request again"),
    waiting=_("Waiting for the requester to answer the committee's requests"),
    due_rule=_("30 days after the request was returned"),
    due_days=30,
)
PRESCREEN = Step(
    code="data.prescreen",
    actor=NextActor.DAC_OFFICER,
    label=_("Pre-screen the data-access request"),
    waiting=_("Waiting for the data access committee's pre-screening"),
    due_rule=_("7 days after submission"),
    due_days=7,
)
ASSIGN = Step(
    code="data.assign",
    actor=NextActor.DAC_OFFICER,
    label=_("Assign reviewers to the data-access request"),
    waiting=_("Waiting for the data access committee to assign reviewers"),
    due_rule=_("7 days after the request was accepted"),
    due_days=7,
)
REVIEW = Step(
    code="data.review",
    actor=NextActor.DAC_REVIEWER,
    label=_("Declare any conflict and review the data-access request"),
    waiting=_("Waiting for the assigned reviewers' reviews"),
    due_rule=_("The due date set when the reviewer was assigned"),
)
DECIDE = Step(
    code="data.decide",
    actor=NextActor.DAC_OFFICER,
    label=_("Record the committee's decision on the data-access request"),
    waiting=_("Waiting for the data access committee's decision"),
    due_rule=_("14 days after the last review came in"),
    due_days=14,
)
SIGN_RECIPIENT = Step(
    code="data.sign_recipient",
    actor=NextActor.REQUESTER,
    label=_("Sign the agreement for the recipient"),
    waiting=_("Waiting for the requester's signature for the recipient"),
    due_rule=_("14 days after the agreement was drawn up"),
    due_days=14,
)
SIGN_PROVIDER = Step(
    code="data.sign_provider",
    actor=NextActor.DAC_OFFICER,
    label=_("Sign the agreement for the provider"),
    waiting=_("Waiting for the data access committee's signature for the provider"),
    due_rule=_("14 days after the recipient signed"),
    due_days=14,
)
ACCEPT_TERMS = Step(
    code="data.accept_terms",
    actor=NextActor.TEAM_MEMBER,
    label=_("Accept the terms of the data-sharing agreement"),
    waiting=_("Waiting for team members to accept the terms"),
    due_rule=_("No due date: access is granted once the terms are accepted"),
)
RE_REVIEW = Step(
    code="data.re_review",
    actor=NextActor.DAC_OFFICER,
    label=_("Review the agreement again after the consent changed"),
    waiting=_("Waiting for the data access committee's re-review of the agreement"),
    due_rule=_("14 days after it was flagged"),
    due_days=14,
)
DESTRUCTION = Step(
    code="data.destruction",
    actor=NextActor.REQUESTER,
    label=_("Record the destruction of the data"),
    waiting=_("Waiting for the recipients to record the destruction of the data"),
    due_rule=_("The agreement's date by which the data are destroyed"),
)
ACKNOWLEDGE = Step(
    code="data.acknowledge_refusal",
    actor=NextActor.RECIPIENT,
    label=_("Acknowledge a subject's refusal or withdrawal"),
    waiting=_("Waiting for the recipients to acknowledge a subject's refusal or withdrawal"),
    due_rule=_("7 days after the recipients were told"),
    due_days=ACKNOWLEDGE_WITHIN.days,
)
HANDLE_REFUSAL = Step(
    code="data.handle_refusal",
    actor=NextActor.PROVIDER,
    label=_("Record what was done about a subject's refusal or withdrawal"),
    waiting=_("Waiting for the providing study's PI to record what was done"),
    due_rule=_("7 days after it was received (without delay, JP-IC-11)"),
    due_days=7,
)

REQUEST = "Data-access request"
AGREEMENT = "Data-sharing agreement"
GRANT = "Access grant"
REFUSAL = "Refusal or withdrawal"
LIVE_AGREEMENT = (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)
ENDED_AGREEMENT = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)

DECLARATION: tuple[StateSteps, ...] = (
    StateSteps(workflow=REQUEST, state=RequestStatus.DRAFT, steps=(SUBMIT,)),
    StateSteps(workflow=REQUEST, state=RequestStatus.SUBMITTED, steps=(PRESCREEN,)),
    StateSteps(workflow=REQUEST, state=RequestStatus.RETURNED, steps=(RESUBMIT,)),
    StateSteps(workflow=REQUEST, state=RequestStatus.ACCEPTED, steps=(ASSIGN, REVIEW, DECIDE)),
    StateSteps(
        workflow=REQUEST,
        state=RequestStatus.DECIDED,
        terminal=Terminal(
            _("The committee has decided. After an approval, what follows is on the data-sharing agreement.")
        ),
    ),
    StateSteps(
        workflow=REQUEST,
        state=RequestStatus.WITHDRAWN,
        terminal=Terminal(_("The requester withdrew the request; nobody has anything more to do on it.")),
    ),
    StateSteps(
        workflow=AGREEMENT,
        state=AgreementStatus.AWAITING_SIGNATURES,
        steps=(SIGN_RECIPIENT, SIGN_PROVIDER, ACCEPT_TERMS, RE_REVIEW, ACKNOWLEDGE),
    ),
    StateSteps(
        workflow=AGREEMENT,
        state=AgreementStatus.ACTIVE,
        steps=(ACCEPT_TERMS, RE_REVIEW, ACKNOWLEDGE, DESTRUCTION),
    ),
    StateSteps(workflow=AGREEMENT, state=AgreementStatus.SUSPENDED, steps=(RE_REVIEW, ACKNOWLEDGE, DESTRUCTION)),
    StateSteps(workflow=AGREEMENT, state=AgreementStatus.EXPIRED, steps=(DESTRUCTION, ACKNOWLEDGE)),
    StateSteps(workflow=AGREEMENT, state=AgreementStatus.TERMINATED, steps=(DESTRUCTION, ACKNOWLEDGE)),
    StateSteps(
        workflow=GRANT,
        state=GrantState.OPEN,
        terminal=Terminal(_("Access is open until the end of the agreement's term; nobody has to act on it.")),
    ),
    StateSteps(
        workflow=GRANT,
        state=GrantState.ENDED,
        terminal=Terminal(_("This access has ended; nobody has to act on it.")),
    ),
    StateSteps(workflow=REFUSAL, state="received", steps=(HANDLE_REFUSAL,)),
    StateSteps(
        workflow=REFUSAL,
        state="handled",
        terminal=Terminal(_("The PI recorded what was done; the recipients acknowledge it on their side.")),
    ),
)


def terminal_reason(workflow: str, state: str) -> Any:
    """The declared reason nothing is pending in this state, or None when the state has steps."""
    for row in DECLARATION:
        if row.workflow == workflow and row.state == state:
            return row.terminal.why if row.terminal else None
    return None


def _stamp(moment: datetime | None) -> str:
    return f"{moment:%Y%m%d%H%M%S%f}" if moment else "0"


def _day_start(day: Any) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def _officers(institution_ids: Iterable[int]) -> dict[int, set[int]]:
    """The chair and secretariat of each institution's data access committee today (one query)."""
    found: dict[int, set[int]] = defaultdict(set)
    rows = CommitteeMembership.objects.filter(
        CommitteeMembership.current_q(),
        committee__institution_id__in=set(institution_ids),
        committee__kind="data_access",
        role__in=permissions.OFFICER_ROLES,
        user__is_active=True,
    ).values_list("committee__institution_id", "user_id")
    for institution_id, user_id in rows:
        found[institution_id].add(user_id)
    return found


class _Subject:
    """What every item on one request shares."""

    def __init__(self, data_request: DataAccessRequest) -> None:
        self.row = data_request
        self.reference = data_request.reference or f"#{data_request.pk}"
        self.title = bilingual(data_request.title, data_request.title)
        self.link = reverse("agreements:request_detail", args=[data_request.pk])

    def item(self, step: Step, key: str, since: datetime, actors: Iterable[int], **extra: Any) -> WorkItem:
        due = extra.pop("due", None)
        return WorkItem(
            step=step,
            key=key,
            reference=self.reference,
            title=self.title,
            link=self.link,
            since=since,
            due=due if due is not None else step.due_from(since),
            institution_id=self.row.institution_id,
            request_id=self.row.pk,
            actor_ids=frozenset(actors),
            **extra,
        )


def _request_items(request_ids: list[int]) -> list[WorkItem]:
    requests = list(DataAccessRequest.objects.filter(pk__in=request_ids).order_by("pk"))
    if not requests:
        return []
    ids = [r.pk for r in requests]
    agreements = {a.request_id: a for a in Agreement.objects.filter(request_id__in=ids)}
    team: dict[int, list[RequestTeamMember]] = defaultdict(list)
    for member in RequestTeamMember.objects.filter(request_id__in=ids).order_by("id"):
        team[member.request_id].append(member)
    reviews: dict[int, list[RequestReview]] = defaultdict(list)
    withdrawn: dict[int, int] = defaultdict(int)
    for review in RequestReview.objects.filter(request_id__in=ids):
        if review.status == AssignmentStatus.WITHDRAWN:
            withdrawn[review.request_id] += 1
        else:
            reviews[review.request_id].append(review)
    agreement_ids = [a.pk for a in agreements.values()]
    signatures: dict[int, dict[str, Signature]] = defaultdict(dict)
    for signature in Signature.objects.filter(agreement_id__in=agreement_ids):
        signatures[signature.agreement_id][signature.party] = signature
    destroyed = set(
        DestructionRecord.objects.filter(agreement_id__in=agreement_ids).values_list("agreement_id", flat=True)
    )
    acks: dict[int, list[RefusalAcknowledgement]] = defaultdict(list)
    for ack in (
        RefusalAcknowledgement.objects.filter(agreement_id__in=agreement_ids, acknowledged_at__isnull=True)
        .select_related("refusal")
        .order_by("notified_at", "id")
    ):
        acks[ack.agreement_id].append(ack)
    officers = _officers({r.institution_id for r in requests})
    conflicted = permissions.conflicted_members(ids)
    today = timezone.localdate()

    items: list[WorkItem] = []
    for data_request in requests:
        subject = _Subject(data_request)
        pk = data_request.pk
        unconflicted = officers.get(data_request.institution_id, set()) - conflicted[pk]
        recipients = {data_request.requester_id} | {member.user_id for member in team[pk]}
        status = data_request.status
        changed = data_request.status_changed_at or data_request.updated_at
        if status == RequestStatus.DRAFT:
            items.append(
                subject.item(SUBMIT, f"{SUBMIT.code}:{pk}", data_request.created_at, {data_request.requester_id})
            )
        elif status == RequestStatus.RETURNED:
            items.append(
                subject.item(RESUBMIT, f"{RESUBMIT.code}:{pk}:{_stamp(changed)}", changed, {data_request.requester_id})
            )
        elif status == RequestStatus.SUBMITTED:
            since = data_request.submitted_at or changed
            items.append(subject.item(PRESCREEN, f"{PRESCREEN.code}:{pk}:{_stamp(since)}", since, unconflicted))
        elif status == RequestStatus.ACCEPTED:
            live = reviews[pk]
            open_reviews = [r for r in live if r.status == AssignmentStatus.ASSIGNED]
            done = [r for r in live if r.status == AssignmentStatus.COMPLETED]
            if not live:
                # A reviewer taken off (or conflicted) makes assigning wait again: a new occurrence.
                key = f"{ASSIGN.code}:{pk}:{_stamp(changed)}:{withdrawn[pk]}"
                items.append(subject.item(ASSIGN, key, changed, unconflicted))
            for review in open_reviews:
                items.append(
                    subject.item(
                        REVIEW,
                        f"{REVIEW.code}:{review.pk}",
                        review.assigned_at,
                        {review.reviewer_id} - conflicted[pk],
                        due=review.due_date,
                    )
                )
            if done and not open_reviews:
                since = max(r.completed_at or r.assigned_at for r in done)
                key = f"{DECIDE.code}:{pk}:{len(done)}"
                items.append(subject.item(DECIDE, key, since, unconflicted))
        agreement = agreements.get(pk)
        if agreement is None:
            continue
        signed = signatures[agreement.pk]
        awaiting = agreement.status == AgreementStatus.AWAITING_SIGNATURES
        if awaiting and Signature.Party.RECIPIENT not in signed:
            items.append(
                subject.item(
                    SIGN_RECIPIENT,
                    f"{SIGN_RECIPIENT.code}:{agreement.pk}",
                    agreement.created_at,
                    {data_request.requester_id},
                )
            )
        if awaiting and Signature.Party.RECIPIENT in signed and Signature.Party.PROVIDER not in signed:
            since = signed[Signature.Party.RECIPIENT].signed_at
            items.append(subject.item(SIGN_PROVIDER, f"{SIGN_PROVIDER.code}:{agreement.pk}", since, unconflicted))
        if agreement.status in (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE):
            for member in team[pk]:
                # The requester's signature for the recipient is their acceptance of the terms.
                if member.accepted_terms_at is None and member.user_id != data_request.requester_id:
                    items.append(
                        subject.item(
                            ACCEPT_TERMS,
                            f"{ACCEPT_TERMS.code}:{agreement.pk}:{member.user_id}",
                            agreement.status_changed_at if not awaiting else agreement.created_at,
                            {member.user_id},
                        )
                    )
        if agreement.needs_re_review:
            digest = hashlib.sha256(agreement.re_review_reason.encode()).hexdigest()[:12]
            items.append(
                subject.item(
                    RE_REVIEW, f"{RE_REVIEW.code}:{agreement.pk}:{digest}", agreement.status_changed_at, unconflicted
                )
            )
        ended = agreement.status in ENDED_AGREEMENT or (not awaiting and agreement.term_end < today)
        if ended and agreement.pk not in destroyed:
            since = (
                agreement.status_changed_at
                if agreement.status in ENDED_AGREEMENT
                else _day_start(agreement.term_end + timedelta(days=1))
            )
            items.append(
                subject.item(
                    DESTRUCTION, f"{DESTRUCTION.code}:{agreement.pk}", since, recipients, due=agreement.destruction_due
                )
            )
        for ack in acks[agreement.pk]:
            items.append(
                subject.item(
                    ACKNOWLEDGE,
                    f"{ACKNOWLEDGE.code}:{ack.pk}",
                    ack.notified_at,
                    recipients,
                    detail=ack.refusal.subject_code or "",
                )
            )
    return [item for item in items if item.actor_ids]


def _refusal_items(protocol_ids: list[int]) -> list[WorkItem]:
    refusals = (
        SubjectRefusal.objects.filter(protocol_id__in=protocol_ids, handled_at__isnull=True)
        .select_related("protocol")
        .order_by("received_at", "id")
    )
    items = []
    for refusal in refusals:
        protocol = refusal.protocol
        items.append(
            WorkItem(
                step=HANDLE_REFUSAL,
                key=f"{HANDLE_REFUSAL.code}:{refusal.pk}",
                reference=protocol.reference or f"#{protocol.pk}",
                title=bilingual(protocol.title_ja, protocol.title_en),
                link=reverse("agreements:refusal_list", args=[protocol.pk]),
                since=refusal.received_at,
                due=HANDLE_REFUSAL.due_from(refusal.received_at),
                institution_id=protocol.institution_id,
                protocol_id=protocol.pk,
                actor_ids=frozenset({protocol.principal_investigator_id}),
                detail=SubjectRefusal.Kind(refusal.kind).label,
            )
        )
    return items


def _candidate_requests(user: User) -> list[int]:
    """The requests on which the user could be an actor now: their own team's, those they review,
    and the pending ones at the institutions whose committee they chair or run."""
    own = Q(requester=user) | Exists(RequestTeamMember.objects.filter(request=OuterRef("pk"), user=user))
    reviewing = Exists(
        RequestReview.objects.filter(request=OuterRef("pk"), reviewer=user, status=AssignmentStatus.ASSIGNED)
    )
    pending_for_officers = (
        Q(status__in=(RequestStatus.SUBMITTED, RequestStatus.ACCEPTED))
        | Q(agreement__status=AgreementStatus.AWAITING_SIGNATURES)
        | Q(agreement__needs_re_review=True)
    )
    officer = Q(institution__in=permissions.officer_institutions(user)) & pending_for_officers
    return list(DataAccessRequest.objects.filter(own | Q(reviewing) | officer).values_list("pk", flat=True))


class DataAccessWork(WorkSource):
    name = "data_access"

    def declaration(self) -> tuple[StateSteps, ...]:
        return DECLARATION

    def for_user(self, user: Any) -> list[WorkItem]:
        if not (getattr(user, "is_authenticated", False) and user.is_active):
            return []
        protocol_ids = list(
            SubjectRefusal.objects.filter(protocol__principal_investigator=user, handled_at__isnull=True)
            .values_list("protocol_id", flat=True)
            .distinct()
        )
        items = self.about(protocol_ids=protocol_ids, request_ids=_candidate_requests(user))
        return [item for item in items if item.is_actor(user)]

    def about(self, *, protocol_ids: Iterable[int] = (), request_ids: Iterable[int] = ()) -> list[WorkItem]:
        protocol_ids, request_ids = list(protocol_ids), list(request_ids)
        items = _request_items(request_ids) if request_ids else []
        if protocol_ids:
            items += _refusal_items(protocol_ids)
        return items
