"""The data access committee's side of a request, the agreement it produces and the access grants
that follow, through the same review engine as ethics review (``reviews.workflow``'s
``transition_for`` on the tables of ``agreements.workflow``).

- The committee's officers (chair and secretariat of the provider institution's data access
  committee, unconflicted) accept or return a request, assign reviewers and record the decision.
- Assigned members write their review; any member who sees the request may declare a conflict,
  after which they see nothing of it (US-IRB-03); members on the requesting team or the providing
  study's team are conflicted whatever they declare (JP-ERC-07).
- An approving decision creates the agreement (``DSA-2026-00001``) and queues its document.
- The requester signs for the recipient, an unconflicted officer of the committee for the
  provider institution (US-R-01: printed name, date and time, meaning; the password asked again).
  The second signature activates the agreement.
- Each team member accepts the terms; their access grant is made at activation, or at their
  acceptance if later. ``access_allowed`` is the one access check: expiry needs no job.

Every service locks the rows it changes, checks permission, asks the workflow table, records the
audit event in the same transaction and notifies after commit (``notify``)."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.notifications.messages import in_each_language
from research_governance.notifications.services import notify
from research_governance.protocols.models import Protocol, TeamMember
from research_governance.reviews.models import Condition
from research_governance.reviews.workflow import DecisionOutcome, TransitionRefused, transition_for

from . import permissions
from .models import (
    AccessGrant,
    Agreement,
    DataAccessRequest,
    Dataset,
    RequestConflict,
    RequestReview,
    RequestTeamMember,
    Signature,
)
from .services import actors_for, dac_officers, request_about, request_link, requesting_team
from .workflow import (
    AGREEMENT_TRANSITIONS,
    APPROVING_REQUEST_OUTCOMES,
    REQUEST_OUTCOMES,
    REQUEST_TRANSITIONS,
    AgreementStatus,
    DataActor,
    GrantState,
    RequestStatus,
)

# A reviewer has two weeks unless the officer says otherwise.
REVIEW_DAYS = 14
# What each party's signature means (US-R-01), in the ethics side's terms (reviews Condition.Meaning):
# the recipient takes responsibility for keeping the terms; the provider approves the provision.
PARTY_MEANING = {
    Signature.Party.RECIPIENT: Condition.Meaning.RESPONSIBILITY,
    Signature.Party.PROVIDER: Condition.Meaning.APPROVAL,
}
QUEUE_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED)


# ---- helpers --------------------------------------------------------------------------------------------------------


def _lock_request(data_request: DataAccessRequest) -> DataAccessRequest:
    return DataAccessRequest.objects.select_for_update().select_related("requester").get(pk=data_request.pk)


def _visible_or_refused(by: User, locked: DataAccessRequest) -> None:
    # Someone who may not see the request learns nothing of it (the views answer 404).
    if not permissions.can_view_request(by, locked):
        raise PermissionDenied


def _require_officer(by: User, locked: DataAccessRequest) -> None:
    """Pre-screen, assign, decide and sign for the provider: an unconflicted officer (JP-ERC-07, US-IRB-03)."""
    _visible_or_refused(by, locked)
    if not permissions.can_act_as_officer(by, locked):
        raise PermissionDenied


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


def reviewer_candidates(data_request: DataAccessRequest) -> list[User]:
    """Members who could be assigned now: current, not yet assigned, without a conflict."""
    assigned = set(data_request.reviews.values_list("reviewer_id", flat=True))
    return [
        user
        for user in dac_members(data_request.institution_id).order_by("email")
        if user.pk not in assigned and not permissions.conflict_reason(user, data_request)
    ]


def _institution_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the institution's time zone (the site's TIME_ZONE)."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def grant_period(agreement: Agreement, now: datetime) -> tuple[datetime, datetime]:
    """From the later of now and the first day of the term, to the end of its last day."""
    starts = max(now, _institution_day_start(agreement.term_start))
    ends = _institution_day_start(agreement.term_end + timedelta(days=1))
    return starts, ends


# ---- the committee's side of a request -------------------------------------------------------------------------------


def _move(locked: DataAccessRequest, by: User, action: str, **changes: Any) -> None:
    transition = transition_for(action, locked.status, actors_for(by, locked), REQUEST_TRANSITIONS)
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={"from": previous, "to": locked.status, **{k: v for k, v in changes.items() if isinstance(v, str)}},
    )


@transaction.atomic
def request_accept(*, data_request: DataAccessRequest, by: User) -> DataAccessRequest:
    """An officer accepts a submitted request for review by the committee."""
    locked = _lock_request(data_request)
    _require_officer(by, locked)
    _move(locked, by, "accept")
    return locked


@transaction.atomic
def request_return(*, data_request: DataAccessRequest, by: User, reasons: str) -> DataAccessRequest:
    """An officer returns a submitted request with what the requester must change; the requester
    edits it and submits it again."""
    locked = _lock_request(data_request)
    _require_officer(by, locked)
    if not reasons.strip():
        raise ValidationError(gettext("Say what the requester must change."))
    _move(locked, by, "return", return_reason=reasons.strip())
    notify(
        recipients=[locked.requester],
        kind="data_request.returned",
        params=request_about(locked),
        link=request_link(locked),
    )
    return locked


@transaction.atomic
def reviewer_assign(
    *, data_request: DataAccessRequest, by: User, reviewer: User, due_date: date | None = None
) -> RequestReview:
    """An officer assigns a current, unconflicted member of the committee to review an accepted
    request. This grants nothing but the review row: the member then sees the request."""
    locked = _lock_request(data_request)
    _require_officer(by, locked)
    if locked.status != RequestStatus.ACCEPTED:
        raise TransitionRefused(gettext("Reviewers are assigned once the request is accepted for review."))
    if not dac_members(locked.institution_id).filter(pk=reviewer.pk).exists():
        raise ValidationError(
            gettext("%(name)s is not a current member of the data access committee.") % {"name": reviewer}
        )
    # JP-ERC-07 (on the requesting or providing side), US-IRB-03 (declared).
    rule = permissions.conflict_reason(reviewer, locked)
    if rule:
        raise ValidationError(
            gettext("%(name)s has a conflict of interest with this request and cannot review it (%(rule)s).")
            % {"name": reviewer, "rule": rule}
        )
    if locked.reviews.filter(reviewer=reviewer).exists():
        raise ValidationError(gettext("%(name)s is already assigned.") % {"name": reviewer})
    due_date = due_date or timezone.localdate() + timedelta(days=REVIEW_DAYS)
    if due_date < timezone.localdate():
        raise ValidationError(gettext("The due date is in the past."))
    review = RequestReview.objects.create(
        request=locked, reviewer=reviewer, assigned_by=by, assigned_at=timezone.now(), due=due_date
    )
    audit_record(
        actor=by,
        action="data_request.reviewer_assigned",
        target=locked,
        data={"reviewer_id": reviewer.pk, "email": reviewer.email, "due": due_date.isoformat()},
    )
    notify(
        recipients=[reviewer],
        kind="data_request.review_assigned",
        params={**request_about(locked), "due_date": due_date},
        link=request_link(locked),
    )
    return review


@transaction.atomic
def conflict_declare(*, data_request: DataAccessRequest, member: User, reason: str) -> RequestConflict:
    """A member of the committee who sees the request declares a conflict of interest (US-IRB-03).
    From then on they see nothing of it; an unsubmitted review of theirs is withdrawn."""
    locked = _lock_request(data_request)
    _visible_or_refused(member, locked)
    if not dac_members(locked.institution_id).filter(pk=member.pk).exists():
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(gettext("Say briefly what the conflict is."))
    conflict, _created = RequestConflict.objects.get_or_create(
        request=locked, member=member, defaults={"reason": reason.strip(), "declared_at": timezone.now()}
    )
    withdrawn = locked.reviews.filter(reviewer=member, submitted_at__isnull=True).delete()[0]
    audit_record(
        actor=member,
        action="data_request.conflict_declared",
        target=locked,
        data={"reason": conflict.reason, "review_withdrawn": bool(withdrawn)},
    )
    return conflict


@transaction.atomic
def review_submit(*, review: RequestReview, by: User, recommendation: str, comments: str) -> RequestReview:
    """The assigned reviewer submits their review once: a recommendation and comments."""
    locked = RequestReview.objects.select_for_update().select_related("request").get(pk=review.pk)
    data_request = locked.request
    if locked.reviewer_id != by.pk or permissions.conflict_reason(by, data_request):
        raise PermissionDenied
    if locked.submitted_at:
        raise TransitionRefused(gettext("This review has been submitted and can no longer change."))
    if data_request.status != RequestStatus.ACCEPTED:
        raise TransitionRefused(gettext("Reviews are written while the request is under review."))
    problems = []
    if recommendation not in RequestReview.Recommendation.values:
        problems.append(gettext("Give your recommendation."))
    if not comments.strip():
        problems.append(gettext("Write your comments for the committee."))
    if problems:
        raise ValidationError(problems)
    locked.recommendation = recommendation
    locked.comments = comments.strip()
    locked.submitted_at = timezone.now()
    locked.save(update_fields=["recommendation", "comments", "submitted_at"])
    audit_record(
        actor=by,
        action="data_request.review_submitted",
        target=data_request,
        data={"review_id": locked.pk, "recommendation": recommendation},
    )
    return locked


@transaction.atomic
def decision_record(
    *, data_request: DataAccessRequest, by: User, outcome: str, reasons: str, conditions: str = ""
) -> DataAccessRequest:
    """An officer records the committee's decision once at least one review is submitted. An
    approving decision creates the agreement, awaiting both parties' signatures.

    The automatic checks are run again: the committee cannot approve a request they refuse now
    (a dataset's approval may have lapsed since it was submitted). "Revise" ends this request;
    the requester files a new one by copy (renewal)."""
    from .assessment import assess_request, present

    locked = _lock_request(data_request)
    _require_officer(by, locked)
    transition = transition_for("decide", locked.status, actors_for(by, locked), REQUEST_TRANSITIONS)
    if outcome not in REQUEST_OUTCOMES:
        raise ValidationError(gettext("Choose the decision."))
    if not locked.reviews.filter(submitted_at__isnull=False).exists():
        raise TransitionRefused(gettext("Record the decision once at least one reviewer has submitted a review."))
    problems = []
    if not reasons.strip():
        problems.append(gettext("Give the reasons for the decision."))
    if outcome == DecisionOutcome.APPROVE_WITH_CONDITIONS and not conditions.strip():
        problems.append(gettext("Write the conditions of the approval."))
    if outcome != DecisionOutcome.APPROVE_WITH_CONDITIONS and conditions.strip():
        problems.append(gettext("Only an approval with conditions has conditions."))
    if outcome in APPROVING_REQUEST_OUTCOMES:
        assessment = assess_request(locked)
        if not assessment.get("permitted", False):
            shown = present(assessment) or {"checks": []}
            failing = [f"{check['text']} ({check['rule_id']})" for check in shown["checks"] if not check["passed"]]
            problems.append(
                gettext("The automatic checks refuse this request now; it cannot be approved: %(checks)s")
                % {"checks": "; ".join(failing) or gettext("see the checks")}
            )
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.outcome = outcome
    locked.decision_reasons = reasons.strip()
    locked.decision_conditions = conditions.strip()
    locked.decided_by = by
    locked.decided_at = now
    locked.save()
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={
            "from": previous,
            "to": locked.status,
            "outcome": outcome,
            "reasons": locked.decision_reasons,
            "conditions": locked.decision_conditions,
        },
    )
    if outcome in APPROVING_REQUEST_OUTCOMES:
        _agreement_create(locked, by, now)
    notify(
        recipients=requesting_team(locked),
        kind="data_request.decided",
        params={**request_about(locked), "decision": in_each_language(DecisionOutcome(outcome).label)},
        link=request_link(locked),
    )
    return locked


def agreement_reference(data_request: DataAccessRequest, on: date) -> str:
    # One agreement per request: the request's number makes the reference unique.
    return f"DSA-{on:%Y}-{data_request.pk:05d}"


def _agreement_create(locked: DataAccessRequest, by: User, now: datetime) -> Agreement:
    from .document import new_verification_code, queue_document

    agreement = Agreement.objects.create(
        request=locked,
        reference=agreement_reference(locked, timezone.localdate(now)),
        status=AgreementStatus.AWAITING_SIGNATURES,
        term_start=locked.term_start,
        term_end=locked.term_end,
        destruction_due=locked.destruction_date,
        status_changed_at=now,
        created_at=now,
        verification_code=new_verification_code(),
    )
    audit_record(
        actor=by,
        action="agreement.created",
        target=agreement,
        data={
            "reference": agreement.reference,
            "request": locked.reference,
            "term_start": agreement.term_start.isoformat(),
            "term_end": agreement.term_end.isoformat(),
            "destruction_due": agreement.destruction_due.isoformat(),
        },
    )
    queue_document(agreement)
    return agreement


# ---- signing, terms and grants ------------------------------------------------------------------------------------


def _lock_agreement(agreement: Agreement) -> tuple[Agreement, DataAccessRequest]:
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    return locked, _lock_request(locked.request)


def party_for(user: User, data_request: DataAccessRequest) -> str:
    """The party the user may sign for: the requester for the recipient; an unconflicted officer
    of the provider institution's data access committee for the provider. "" for anyone else."""
    if user.is_authenticated and data_request.requester_id == user.pk:
        return Signature.Party.RECIPIENT
    if permissions.can_act_as_officer(user, data_request):
        return Signature.Party.PROVIDER
    return ""


@transaction.atomic
def agreement_sign(*, agreement: Agreement, by: User, password: str) -> Signature:
    """Sign the agreement for one's party (US-R-01). The signature has two components, the
    signed-in identity and the password entered again; a wrong password signs nothing. It shows
    the printed name at signing, the date and time, and its meaning. The recipient's signature is
    also the requester's acceptance of the terms. The second signature activates the agreement."""
    locked, data_request = _lock_agreement(agreement)
    _visible_or_refused(by, data_request)
    party = party_for(by, data_request)
    if not party:
        raise PermissionDenied
    actor = DataActor.REQUESTER if party == Signature.Party.RECIPIENT else DataActor.DAC_OFFICER
    transition = transition_for("sign", locked.status, {actor}, AGREEMENT_TRANSITIONS)
    if locked.signatures.filter(party=party).exists():
        raise TransitionRefused(gettext("This agreement has already been signed for your party."))
    if not password or not by.check_password(password):
        raise ValidationError(gettext("The password is not correct; nothing was signed."))
    now = timezone.now()
    signature = Signature.objects.create(
        agreement=locked,
        party=party,
        signer=by,
        printed_name=by.display_name,
        signed_at=now,
        meaning=PARTY_MEANING[party],
    )
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={
            "reference": locked.reference,
            "party": party,
            "printed_name": signature.printed_name,
            "signed_at": now.isoformat(),
            "meaning": signature.meaning,
            "document_sha256": locked.document_sha256,
            "signature_components": ["signed-in user", "password"],
        },
    )
    if party == Signature.Party.RECIPIENT:
        RequestTeamMember.objects.filter(request=data_request, user=by, accepted_terms_at__isnull=True).update(
            accepted_terms_at=now
        )
    if locked.signatures.count() == len(Signature.Party.values):
        _activate(locked, data_request, by, actor, now)
    return signature


def _activate(locked: Agreement, data_request: DataAccessRequest, by: User, actor: DataActor, now: datetime) -> None:
    from .document import queue_document

    transition = transition_for("activate", locked.status, {actor}, AGREEMENT_TRANSITIONS)
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.save(update_fields=["status", "status_changed_at"])
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={"reference": locked.reference, "from": previous, "to": locked.status},
    )
    granted = [
        grant
        for member in data_request.team.filter(accepted_terms_at__isnull=False).select_related("user")
        if (grant := _grant(locked, member.user, now)) is not None
    ]
    # The document again, now with both signatures printed (same verification code, new hash).
    queue_document(locked)
    notify(
        recipients=[*requesting_team(data_request), *dac_officers(data_request.institution_id)],
        kind="agreement.active",
        params={**request_about(data_request), "count": len(granted)},
        link=request_link(data_request),
    )


def _grant(agreement: Agreement, user: User, now: datetime) -> AccessGrant | None:
    """The person's grant for the agreement's term (None when the term is already over)."""
    existing = AccessGrant.objects.filter(agreement=agreement, user=user, state=GrantState.OPEN).first()
    if existing is not None:
        return existing
    starts, ends = grant_period(agreement, now)
    if ends <= starts:
        return None
    provider = agreement.signatures.get(party=Signature.Party.PROVIDER)
    grant = AccessGrant.objects.create(
        agreement=agreement,
        user=user,
        starts_at=starts,
        ends_at=ends,
        granted_by_id=provider.signer_id,
        created_at=now,
    )
    audit_record(
        actor=None,
        action="access_grant.created",
        target=agreement,
        data={
            "grant_id": grant.pk,
            "user_id": user.pk,
            "email": user.email,
            "starts_at": starts.isoformat(),
            "ends_at": ends.isoformat(),
        },
    )
    return grant


@transaction.atomic
def terms_accept(*, agreement: Agreement, by: User) -> RequestTeamMember:
    """A team member accepts the agreement's terms; under an active agreement their access grant
    is made at once (otherwise at activation). Accepting twice changes nothing."""
    locked, data_request = _lock_agreement(agreement)
    member = RequestTeamMember.objects.select_for_update().filter(request=data_request, user=by).first()
    if member is None:
        raise PermissionDenied
    if locked.status not in (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE):
        raise TransitionRefused(gettext("The terms of an agreement no longer in force cannot be accepted."))
    now = timezone.now()
    if member.accepted_terms_at is None:
        member.accepted_terms_at = now
        member.save(update_fields=["accepted_terms_at"])
        audit_record(actor=by, action="agreement.terms_accepted", target=locked, data={"reference": locked.reference})
    if locked.status == AgreementStatus.ACTIVE:
        _grant(locked, by, now)
    return member


def access_allowed(user: User, dataset: Dataset, at: datetime | None = None) -> bool:
    """Whether the user may use the dataset at ``at`` (now): an open grant, begun and not ended,
    under an active agreement covering the dataset. The one access check: a grant whose end has
    passed is refused at once, with no job having run."""
    if not (user.is_authenticated and user.is_active):
        return False
    return AccessGrant.objects.active(at).filter(user=user, agreement__request__datasets=dataset).exists()


# ---- reads -----------------------------------------------------------------------------------------------------------


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
            reviews_assigned=Count("reviews", distinct=True),
            reviews_submitted=Count("reviews", filter=Q(reviews__submitted_at__isnull=False), distinct=True),
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


# ---- the panels on the request page ---------------------------------------------------------------------------------


def _checks(data_request: DataAccessRequest) -> dict[str, Any] | None:
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
    own_review = None if conflicted else data_request.reviews.filter(reviewer=user).first()
    is_member = (not conflicted) and dac_members(data_request.institution_id).filter(pk=user.pk).exists()
    status = data_request.status
    reviews = (
        list(data_request.reviews.select_related("reviewer").order_by("assigned_at"))
        if is_officer or (oversight and not is_team)
        else []
    )
    submitted = [review for review in reviews if review.submitted_at]
    actions = []
    if is_officer and status == RequestStatus.SUBMITTED:
        actions += ["accept", "return"]
    if is_officer and status == RequestStatus.ACCEPTED:
        actions.append("assign")
        if submitted:
            actions.append("decide")
    if own_review and not own_review.submitted_at and status == RequestStatus.ACCEPTED:
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
        "assign_form": AssignForm(candidates=candidates) if "assign" in actions else None,
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
    can_sign = bool(party and party not in signatures and agreement.status == AgreementStatus.AWAITING_SIGNATURES)
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
