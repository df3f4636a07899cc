"""What the data access committee's pages read: its members and reviewer candidates, its
queue, the panels on the request page (the committee's, the agreement's) and the grants' lists."""

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.protocols.models import Protocol, TeamMember
from research_governance.reviews.engine.models import AssignmentStatus
from research_governance.reviews.workflow import DecisionOutcome

from . import permissions
from .models import (
    AccessGrant,
    Agreement,
    DataAccessRequest,
    RequestConflict,
    RequestReview,
    RequestTeamMember,
    Signature,
)
from .workflow import APPROVING_REQUEST_OUTCOMES, AgreementStatus, RequestStatus

QUEUE_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED)
# A reviewer has two weeks unless the officer says otherwise (the engine's default for the committee).
REVIEW_DAYS = 14


def dac_members(institution_id: int) -> QuerySet[User]:
    """The current members (any seat) of the institution's data access committee."""
    return User.objects.filter(
        committee_memberships__in=CommitteeMembership.objects.filter(
            CommitteeMembership.current_q(),
            committee__institution_id=institution_id,
            committee__kind=Committee.Kind.DATA_ACCESS,
        ),
        is_active=True,
    ).distinct()


def live_reviews(data_request: DataAccessRequest) -> QuerySet[RequestReview]:
    """The request's reviews not withdrawn (a reviewer who declared a conflict is withdrawn)."""
    return data_request.reviews.exclude(status=AssignmentStatus.WITHDRAWN)


def reviewer_candidates(data_request: DataAccessRequest) -> list[User]:
    """Members who could be assigned now: current, not yet assigned, without a conflict."""
    assigned = set(live_reviews(data_request).values_list("reviewer_id", flat=True))
    return [
        user
        for user in dac_members(data_request.institution_id).order_by("email")
        if user.pk not in assigned and not permissions.conflict_reason(user, data_request)
    ]


def party_for(user: User, data_request: DataAccessRequest) -> Signature.Party | None:
    """The party the user may sign for: the requester for the recipient; an unconflicted officer
    of the provider institution's data access committee for the provider. None for anyone else."""
    if user.is_authenticated and data_request.requester_id == user.pk:
        return Signature.Party.RECIPIENT
    if permissions.can_act_as_officer(user, data_request):
        return Signature.Party.PROVIDER
    return None


def committee_queue(user: User) -> QuerySet[DataAccessRequest]:
    """Requests waiting for the committee (submitted, accepted) at the institutions where the user
    is an officer, except those the user is conflicted on (JP-ERC-07, US-IRB-03): one query."""
    own = Q(requester=user) | Exists(RequestTeamMember.objects.filter(request=OuterRef("pk"), user=user))
    provider = Exists(
        Protocol.objects.filter(datasets__requests=OuterRef("pk")).filter(
            Q(principal_investigator=user) | Exists(TeamMember.objects.filter(protocol=OuterRef("pk"), user=user))
        )
    )
    declared = Exists(RequestConflict.objects.filter(request=OuterRef("pk"), member=user))
    return (
        DataAccessRequest.objects.filter(
            institution__in=permissions.officer_institutions(user), status__in=QUEUE_STATUSES
        )
        .exclude(own | Q(provider) | Q(declared))
        .select_related("requester")
        .annotate(
            reviews_assigned=Count("reviews", filter=~Q(reviews__status=AssignmentStatus.WITHDRAWN), distinct=True),
            reviews_submitted=Count("reviews", filter=Q(reviews__status=AssignmentStatus.COMPLETED), distinct=True),
        )
        .order_by("submitted_at", "id")
    )


def export_institutions(user: User) -> list[int]:
    """Institutions whose current grants the user may export: DAC officers, auditors, administrators."""
    return permissions.officer_or_oversight_institutions(user)


def grants_for_export(institution_ids: list[int], at: datetime | None = None) -> QuerySet[AccessGrant]:
    """The grants in force at ``at`` of agreements with the institutions' requests."""
    return (
        AccessGrant.objects.active(at)
        .filter(agreement__request__institution_id__in=institution_ids)
        .select_related("user", "agreement")
        .prefetch_related("agreement__request__datasets")
        .order_by("agreement__reference", "user__email", "id")
    )


def my_grants(user: User) -> QuerySet[AccessGrant]:
    return (
        AccessGrant.objects.filter(user=user)
        .select_related("agreement__request")
        .prefetch_related("agreement__request__datasets")
        .order_by("-ends_at", "-id")
    )


def checks(data_request: DataAccessRequest) -> dict[str, Any] | None:
    """The checks kept with the request when it was submitted, as the pages show them."""
    from .assessment import present

    return present(data_request.assessment)


def panel(user: User, data_request: DataAccessRequest) -> dict[str, Any] | None:
    """The committee's panel: what it has done and what the viewer can do now. The requesting team
    sees the secretariat's requests and the decision; officers and oversight readers see the
    reviews; an assigned reviewer sees their own review."""
    if data_request.status == RequestStatus.DRAFT and not data_request.return_reason:
        return None
    is_officer = permissions.can_act_as_officer(user, data_request)
    is_team = permissions.is_requesting_team(user, data_request)
    oversight = permissions.is_oversight_reader(user, data_request.institution_id)
    conflicted = bool(permissions.conflict_reason(user, data_request))
    own_review = None if conflicted else live_reviews(data_request).filter(reviewer=user).first()
    is_member = (not conflicted) and dac_members(data_request.institution_id).filter(pk=user.pk).exists()
    status = data_request.status
    reviews = (
        list(live_reviews(data_request).select_related("reviewer").order_by("assigned_at"))
        if is_officer or (oversight and not is_team)
        else []
    )
    submitted = [review for review in reviews if review.status == AssignmentStatus.COMPLETED]
    actions = []
    if is_officer and status == RequestStatus.SUBMITTED:
        actions += ["accept", "return"]
    if is_officer and status == RequestStatus.ACCEPTED:
        actions.append("assign")
        if submitted:
            actions.append("decide")
    if own_review and own_review.status == AssignmentStatus.ASSIGNED and status == RequestStatus.ACCEPTED:
        actions.append("review")
    candidates = reviewer_candidates(data_request) if "assign" in actions else []
    from .forms_review import AssignForm

    return {
        "data_request": data_request,
        "is_officer": is_officer,
        "is_team": is_team,
        "reviews": reviews,
        "submitted_reviews": submitted,
        "own_review": own_review,
        "actions": actions,
        "assign_form": AssignForm(
            members=User.objects.filter(pk__in=[user.pk for user in candidates]).order_by("email"),
            initial={"due_date": timezone.localdate() + timedelta(days=REVIEW_DAYS)},
        )
        if "assign" in actions
        else None,
        "can_declare_conflict": is_member and status in QUEUE_STATUSES and not is_team,
        "outcome_label": DecisionOutcome(data_request.outcome).label if data_request.outcome else "",
        "approving": data_request.outcome in APPROVING_REQUEST_OUTCOMES,
    }


def agreement_panel(user: User, data_request: DataAccessRequest) -> dict[str, Any] | None:
    """The agreement: its document, the signatures, who has accepted the terms, the grants."""
    agreement = Agreement.objects.filter(request=data_request).first()
    if agreement is None:
        return None
    signatures = {signature.party: signature for signature in agreement.signatures.select_related("signer")}
    party = party_for(user, data_request)
    # As declared (agreements.next_steps): the recipient signs first, then the provider.
    turn = party == Signature.Party.RECIPIENT or Signature.Party.RECIPIENT in signatures
    can_sign = bool(
        party and turn and party not in signatures and agreement.status == AgreementStatus.AWAITING_SIGNATURES
    )
    membership = data_request.team.filter(user=user).first() if user.is_authenticated else None
    can_accept_terms = bool(
        membership
        and membership.accepted_terms_at is None
        and agreement.status in (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE)
    )
    sees_all_grants = permissions.can_act_as_officer(user, data_request) or permissions.is_oversight_reader(
        user, data_request.institution_id
    )
    grants = agreement.grants.select_related("user").order_by("user__email")
    if not sees_all_grants:
        grants = grants.filter(user=user)
    now = timezone.now()
    return {
        "agreement": agreement,
        "recipient_signature": signatures.get(Signature.Party.RECIPIENT),
        "provider_signature": signatures.get(Signature.Party.PROVIDER),
        "party": party,
        "party_label": Signature.Party(party).label if party else "",
        "can_sign": can_sign,
        "can_accept_terms": can_accept_terms,
        "team": list(data_request.team.select_related("user").order_by("id")),
        "grants": [(grant, grant.is_active(now)) for grant in grants],
        "signature_rows": [
            (
                Signature.Party(key).label,
                signatures.get(key),
                signatures[key].meaning_label if key in signatures else "",
            )
            for key in (Signature.Party.RECIPIENT, Signature.Party.PROVIDER)
        ],
        "document_ready": bool(agreement.document),
        "download_url": reverse("agreements:agreement_document", args=[agreement.pk]),
    }


def next_step(user: User, data_request: DataAccessRequest) -> dict[str, Any]:
    """The request page's "Next step", from the declared steps (``core.work``, ``next_steps``):
    the items the viewer acts on, what everyone else is waiting for (one line a step, since the
    earliest, with the nearest due date), and, when nothing is pending, why, as declared."""
    from research_governance.core.work import work_about

    from .next_steps import AGREEMENT, REQUEST, terminal_reason

    items = sorted(work_about(request_ids=[data_request.pk]), key=lambda item: (item.since, item.key))
    mine = [item for item in items if item.is_actor(user)]
    waiting: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.is_actor(user):
            continue
        row = waiting.setdefault(item.step.code, {"step": item.step, "since": item.since, "due": item.due, "count": 0})
        row["count"] += 1
        if item.due and (row["due"] is None or item.due < row["due"]):
            row["due"] = item.due
    agreement = Agreement.objects.filter(request=data_request).only("pk", "status").first()
    terminal = None
    if not items:
        terminal = (
            terminal_reason(AGREEMENT, agreement.status) if agreement else terminal_reason(REQUEST, data_request.status)
        )
    return {
        "mine": mine,
        "waiting": list(waiting.values()),
        "terminal": terminal,
        "agreement_id": agreement.pk if agreement else None,
    }
