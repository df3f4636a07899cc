"""Data access tied to the ethics approval.

- An approval that is suspended, expires or closes suspends every agreement covering a dataset
  held under it, and ends every open access grant of those agreements, in the transaction that
  changes the approval (``approvals_lapsed``, called by ``reviews.services``). The parties are told:
  the requesting team, the data access committee's officers, the providing studies' PIs.
- A data access committee officer may reinstate a suspended agreement once every dataset's
  approval is active again (``agreement_reinstate``). Grants are not revived: new grants are made
  for the team members who accepted the terms, from now to the end of the term.
- Consent may narrow: an approved amendment that changes the consent-related parts of the
  application (``amendment_in_force``), or a change of a dataset's DUO scope made under an
  approved amendment (``dataset_scope_change``), flags every live agreement covering the data for
  re-review by the committee, which clears the flag once it has looked (``re_review_clear``).
  Whether a change narrows or widens the scope is not judged here: any change is flagged, and
  the committee decides.
- At the end of its term an agreement expires (``agreements_expire``, the daily reminder scan).
  Grants need no job for that (``AccessGrant.active`` reads their end); the scan keeps the stored
  statuses truthful.

Set-based: each step reads and writes its rows in a few queries whatever their number; only the
audit events (one per agreement and per grant, on the hash chain) are written one by one, and the
notifications go out in one INSERT (``notify_many``)."""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.models import AuditEvent
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import in_each_language
from research_governance.notifications.services import Notice, notify_many
from research_governance.protocols.models import Protocol
from research_governance.reviews.models import Approval
from research_governance.reviews.workflow import ApprovalStatus, TransitionRefused, transition_for

from . import permissions
from .models import (
    AccessGrant,
    Agreement,
    DataAccessRequest,
    Dataset,
    DuoPermission,
    RequestTeamMember,
)
from .services import dac_officers, duo_scope, request_link
from .workflow import AGREEMENT_TRANSITIONS, GRANT_TRANSITIONS, AgreementStatus, DataActor, GrantState

# The agreements an approval's lapse or a consent change still concerns.
LIVE_STATUSES = (AgreementStatus.AWAITING_SIGNATURES, AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED)

# The parts of an application that say what the subjects consented to and who may receive their
# data: a change to any of them after approval may narrow what the agreements may do.
CONSENT_FORM_FIELDS = (
    "consent_procedure",
    "consent_exception_requested",
    "deidentification",
    "special_care_personal_info",
    "personally_referable",
    "opt_out_notice_text",
    "ai_uses_external_service",
)

DATASET_SCOPE_FIELDS = {
    "permission": "duo_permission",
    "diseases": "duo_diseases",
    "modifiers": "duo_modifiers",
    "countries": "duo_countries",
    "time_limit": "duo_time_limit",
    "moratorium_until": "duo_moratorium_until",
}


def _transition(action: str) -> Any:
    return next(t for t in AGREEMENT_TRANSITIONS if t.action == action)


def grant_end_of_term(term_end: date) -> datetime:
    """The moment access ends: the end of the term's last day, in the institution's time zone."""
    return timezone.make_aware(datetime.combine(term_end + timedelta(days=1), time.min))


# ---------------------------------------------------------------------------------------
# Who is told
# ---------------------------------------------------------------------------------------


def parties(agreements: Sequence[Agreement], *, provider: bool = True) -> dict[int, list[User]]:
    """For each agreement: its requesting team, its committee's officers and (``provider``) the
    PIs of the studies whose datasets it covers. A few queries for all of them."""
    request_ids = [agreement.request_id for agreement in agreements]
    requests = {
        row.pk: row
        for row in DataAccessRequest.objects.filter(pk__in=request_ids)
        .select_related("requester")
        .only("pk", "institution_id", "requester")
    }
    teams: dict[int, list[User]] = defaultdict(list)
    for member in RequestTeamMember.objects.filter(request_id__in=request_ids).select_related("user"):
        teams[member.request_id].append(member.user)
    pis: dict[int, list[User]] = defaultdict(list)
    if provider:
        through = DataAccessRequest.datasets.through.objects.filter(dataaccessrequest_id__in=request_ids)
        for row in through.select_related("dataset__protocol__principal_investigator"):
            pis[row.dataaccessrequest_id].append(row.dataset.protocol.principal_investigator)
    officers: dict[int, list[User]] = {}
    for institution_id in {data_request.institution_id for data_request in requests.values()}:
        officers[institution_id] = dac_officers(institution_id)
    told: dict[int, list[User]] = {}
    for agreement in agreements:
        data_request = requests[agreement.request_id]
        told[agreement.pk] = [
            data_request.requester,
            *teams[data_request.pk],
            *officers[data_request.institution_id],
            *pis[data_request.pk],
        ]
    return told


def _about(agreement: Agreement, data_request: DataAccessRequest) -> dict[str, Any]:
    return {"reference": agreement.reference, "title": data_request.title}


# ---------------------------------------------------------------------------------------
# The cascade from the ethics approval
# ---------------------------------------------------------------------------------------


def _end_grants(grants: list[AccessGrant], *, by: User | None, reasons: dict[int, str], now: datetime) -> None:
    """End the locked open grants (``reasons``: per agreement): one UPDATE, one audit event each."""
    if not grants:
        return
    transition = GRANT_TRANSITIONS[0]
    actors: set[StrEnum] = {DataActor.SYSTEM} if by is None else {DataActor.SYSTEM, DataActor.DAC_OFFICER}
    transition_for("end", grants[0].state, actors, GRANT_TRANSITIONS)
    for grant in grants:
        grant.state, grant.ended_at, grant.end_reason = transition.target, now, reasons[grant.agreement_id]
    AccessGrant.objects.bulk_update(grants, ["state", "ended_at", "end_reason"])
    for grant in grants:
        audit_record(
            actor=by,
            action=AuditAction(transition.audit_action),  # access_grant.ended
            target=grant,
            data={"agreement_id": grant.agreement_id, "user_id": grant.user_id, "reason": grant.end_reason},
        )


def approvals_lapsed(*, approvals: Sequence[Approval], by: User | None) -> list[Agreement]:
    """The approvals were suspended, expired or closed (their new status already set, in the
    caller's transaction): suspend every agreement covering a dataset held under one of them and
    end its open grants, audited, and tell the parties. ``by`` is the person who changed the
    approvals, None for the system's expiry. Returns the agreements suspended.

    An agreement already suspended, expired or terminated is left as it is."""
    if not approvals:
        return []
    lapsed = {approval.pk: approval for approval in approvals}
    transition = _transition("suspend")
    covering = Agreement.objects.filter(request__datasets__approval_id__in=list(lapsed)).values("pk")
    # Locked in one order (agreements, then their grants) like every agreement service.
    agreements = list(
        Agreement.objects.select_for_update(of=("self",))
        .filter(pk__in=covering, status__in=transition.sources)
        .select_related("request")
        .order_by("pk")
    )
    if not agreements:
        return []
    causes: dict[int, list[Approval]] = defaultdict(list)
    rows = (
        DataAccessRequest.datasets.through.objects.filter(
            dataaccessrequest__agreement__in=[a.pk for a in agreements], dataset__approval_id__in=list(lapsed)
        )
        .values_list("dataaccessrequest__agreement__id", "dataset__approval_id")
        .distinct()
        .order_by("dataset__approval_id")
    )
    for agreement_id, approval_id in rows:
        causes[agreement_id].append(lapsed[approval_id])
    now = timezone.now()
    previous: dict[int, str] = {}
    for agreement in agreements:
        transition_for("suspend", agreement.status, {DataActor.SYSTEM}, AGREEMENT_TRANSITIONS)
        previous[agreement.pk] = agreement.status
        agreement.status = transition.target
        agreement.status_changed_at = now
        agreement.status_reason = "; ".join(
            f"Suspended: the ethics approval {approval.reference} was {approval.status}."
            for approval in causes[agreement.pk]
        )
    Agreement.objects.bulk_update(agreements, ["status", "status_changed_at", "status_reason"])
    grants = list(
        AccessGrant.objects.select_for_update()
        .filter(agreement__in=[a.pk for a in agreements], state=GrantState.OPEN)
        .order_by("pk")
    )
    grants_of: dict[int, list[AccessGrant]] = defaultdict(list)
    by_pk = {agreement.pk: agreement for agreement in agreements}
    for grant in grants:
        grant.agreement = by_pk[grant.agreement_id]  # loaded with its request: the audit needs no read
        grants_of[grant.agreement_id].append(grant)
    for agreement in agreements:
        first = causes[agreement.pk][0]
        audit_record(
            actor=by,
            action=AuditAction(transition.audit_action),  # agreement.suspended
            target=agreement,
            # A stand-in carrying only the id: the event stores the protocol's id, nothing more.
            protocol=Protocol(pk=first.protocol_id),
            data={
                "reference": agreement.reference,
                "from": previous[agreement.pk],
                "to": agreement.status,
                "reason": agreement.status_reason,
                "approvals": {approval.reference: approval.status for approval in causes[agreement.pk]},
                "grants_ended": len(grants_of[agreement.pk]),
            },
        )
    _end_grants(grants, by=by, reasons={agreement.pk: agreement.status_reason for agreement in agreements}, now=now)
    told = parties(agreements)
    notify_many(
        Notice(
            recipients=told[agreement.pk],
            kind="agreement.suspended",
            params={
                **_about(agreement, agreement.request),
                "approval": ", ".join(approval.reference for approval in causes[agreement.pk]),
                "approval_status": in_each_language(ApprovalStatus(causes[agreement.pk][0].status).label),
            },
            link=request_link(agreement.request),
        )
        for agreement in agreements
    )
    # Nothing waits on a suspended agreement's terms; the officers may be asked to re-review.
    announce(request_ids=[agreement.request_id for agreement in agreements], by=by)
    return agreements


def approvals_not_active(agreement: Agreement) -> list[Approval]:
    """The approvals of the agreement's datasets that are not active, one query."""
    return list(
        Approval.objects.filter(datasets__requests__agreement=agreement)
        .exclude(status=ApprovalStatus.ACTIVE)
        .distinct()
        .order_by("reference")
    )


def reinstatement_blockers(agreement: Agreement) -> list[str]:
    """Why the agreement cannot be reinstated now, in words (empty when it can)."""
    if agreement.status != AgreementStatus.SUSPENDED:
        return [str(_transition("reinstate").refused_reason)]
    reasons = [
        gettext("The ethics approval %(reference)s is %(status)s, not active.")
        % {"reference": approval.reference, "status": approval.get_status_display().lower()}
        for approval in approvals_not_active(agreement)
    ]
    if agreement.term_end < timezone.localdate():
        reasons.append(gettext("The agreement's term ended on %(date)s.") % {"date": agreement.term_end.isoformat()})
    return reasons


@transaction.atomic
def agreement_reinstate(*, agreement: Agreement, by: User) -> tuple[Agreement, list[AccessGrant]]:
    """An officer of the data access committee reinstates a suspended agreement, once the ethics
    approval of every dataset it covers is active again and its term has not ended.

    The grants ended by the suspension are not revived: each team member who accepted the terms
    gets a new grant from now to the end of the term. Returns the agreement and the new grants."""
    locked = Agreement.objects.select_for_update().select_related("request").get(pk=agreement.pk)
    if not permissions.can_act_as_officer(by, locked.request):
        raise PermissionDenied
    transition = transition_for("reinstate", locked.status, {DataActor.DAC_OFFICER}, AGREEMENT_TRANSITIONS)
    blockers = reinstatement_blockers(locked)
    if blockers:
        raise TransitionRefused(" ".join(blockers))
    now = timezone.now()
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.status_reason = ""
    locked.save(update_fields=["status", "status_changed_at", "status_reason"])
    ends_at = grant_end_of_term(locked.term_end)
    accepted = RequestTeamMember.objects.filter(request=locked.request, accepted_terms_at__isnull=False).order_by("pk")
    grants = AccessGrant.objects.bulk_create(
        AccessGrant(
            agreement=locked,
            user_id=member.user_id,
            state=GrantState.OPEN,
            starts_at=now,
            ends_at=ends_at,
            granted_by=by,
            created_at=now,
        )
        for member in accepted
    )
    audit_record(
        actor=by,
        action=AuditAction(transition.audit_action),  # agreement.reinstated
        target=locked,
        data={"reference": locked.reference, "from": previous, "to": locked.status, "grants": len(grants)},
    )
    for grant in grants:
        audit_record(
            actor=by,
            action=AuditAction.ACCESS_GRANT_REISSUED,
            target=grant,
            data={
                "agreement_id": locked.pk,
                "user_id": grant.user_id,
                "from": grant.starts_at.isoformat(),
                "until": grant.ends_at.isoformat(),
            },
        )
    notify_many(
        [
            Notice(
                recipients=parties([locked])[locked.pk],
                kind="agreement.reinstated",
                params=_about(locked, locked.request),
                link=request_link(locked.request),
            )
        ]
    )
    announce(request_ids=[locked.request_id], by=by)
    return locked, grants


# ---------------------------------------------------------------------------------------
# Consent that changes: re-review
# ---------------------------------------------------------------------------------------


def consent_changes(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """The consent-related parts of the application that differ between two version snapshots."""
    changed = [
        name for name in CONSENT_FORM_FIELDS if previous.get("form", {}).get(name) != current.get("form", {}).get(name)
    ]

    def recipients(snapshot: dict[str, Any]) -> list[tuple[Any, ...]]:
        return sorted(
            (r.get("name"), r.get("kind"), r.get("country"), r.get("equivalent_measures"))
            for r in snapshot.get("recipients", [])
        )

    if recipients(previous) != recipients(current):
        changed.append("recipients")
    return changed


def _flag(agreements: list[Agreement], *, by: User | None, reason: str, data: dict[str, Any]) -> None:
    """Flag the locked agreements for re-review, audited; each committee's unconflicted officers
    are asked to review it again (the hand-off)."""
    if not agreements:
        return
    for agreement in agreements:
        agreement.needs_re_review = True
        agreement.re_review_reason = reason
    Agreement.objects.filter(pk__in=[a.pk for a in agreements]).update(needs_re_review=True, re_review_reason=reason)
    for agreement in agreements:
        audit_record(
            actor=by,
            action=AuditAction.AGREEMENT_RE_REVIEW_FLAGGED,
            target=agreement,
            data={"reference": agreement.reference, "reason": reason, **data},
        )
    announce(request_ids=[agreement.request_id for agreement in agreements], by=by)


def _live_agreements_covering(datasets: Iterable[int]) -> list[Agreement]:
    covering = Agreement.objects.filter(request__datasets__in=list(datasets)).values("pk")
    return list(
        Agreement.objects.select_for_update(of=("self",))
        .filter(pk__in=covering, status__in=LIVE_STATUSES)
        .select_related("request")
        .order_by("pk")
    )


def amendment_in_force(*, approval: Approval, previous_snapshot: dict[str, Any], by: User | None) -> list[Agreement]:
    """An approved amendment became the version in force of ``approval`` (called by
    ``reviews.services`` in its transaction). If it changed what the subjects consented to or who
    receives their data, every live agreement covering a dataset held under the approval is
    flagged for re-review. Returns the agreements flagged."""
    changed = consent_changes(previous_snapshot, approval.version.snapshot)
    if not changed:
        return []
    agreements = _live_agreements_covering(Dataset.objects.filter(approval=approval).values_list("pk", flat=True))
    reason = (
        f"The amendment in force (version {approval.version.number}) of {approval.reference} changed: "
        + ", ".join(changed)
        + "."
    )
    _flag(agreements, by=by, reason=reason, data={"approval": approval.reference, "changed": changed})
    return agreements


def amendment_since(dataset: Dataset) -> bool:
    """An amendment of the dataset's approval took effect after the dataset was registered."""
    return AuditEvent.objects.filter(
        action=AuditAction.APPROVAL_AMENDED,
        target_type="reviews.approval",
        target_id=str(dataset.approval_id),
        occurred_at__gte=dataset.created_at.replace(microsecond=0),
    ).exists()


def clean_scope(new_scope: dict[str, Any]) -> dict[str, Any]:
    """The new DUO scope as dataset field values; ValidationError for an unknown permission or key."""
    unknown = set(new_scope) - set(DATASET_SCOPE_FIELDS)
    if unknown:
        raise ValidationError(gettext("Unknown consent scope terms: %(terms)s") % {"terms": ", ".join(sorted(unknown))})
    if new_scope.get("permission") not in DuoPermission.values:
        raise ValidationError(gettext("Choose the data use permission."))
    values: dict[str, Any] = {}
    for key, field in DATASET_SCOPE_FIELDS.items():
        value = new_scope.get(key)
        if key in ("diseases", "modifiers", "countries"):
            value = sorted({str(item).strip() for item in value or [] if str(item).strip()})
        elif key in ("time_limit", "moratorium_until") and isinstance(value, str):
            value = date.fromisoformat(value) if value else None
        values[field] = value
    return values


@transaction.atomic
def dataset_scope_change(*, dataset: Dataset, by: User, new_scope: dict[str, Any]) -> tuple[Dataset, list[Agreement]]:
    """The PI of the providing study changes the dataset's consent scope (DUO codes), which is
    allowed only under an amendment approved since the dataset was registered, with the approval
    active. The change is recorded and every live agreement covering the dataset is flagged for
    re-review. Returns the dataset and the agreements flagged."""
    locked = Dataset.objects.select_for_update().select_related("protocol", "approval").get(pk=dataset.pk)
    if locked.protocol.principal_investigator_id != by.pk:
        raise PermissionDenied
    if locked.approval.status != ApprovalStatus.ACTIVE:
        raise TransitionRefused(gettext("The consent scope can be changed only while the ethics approval is active."))
    if not amendment_since(locked):
        raise TransitionRefused(
            gettext("The consent scope changes only under an amendment approved since the dataset was registered.")
        )
    before = duo_scope(locked)
    before["moratorium_until"] = locked.duo_moratorium_until.isoformat() if locked.duo_moratorium_until else None
    for field, value in clean_scope(new_scope).items():
        setattr(locked, field, value)
    locked.full_clean()
    after = duo_scope(locked)
    after["moratorium_until"] = locked.duo_moratorium_until.isoformat() if locked.duo_moratorium_until else None
    if after == before:
        return locked, []
    locked.save(update_fields=list(DATASET_SCOPE_FIELDS.values()))
    audit_record(
        actor=by,
        action=AuditAction.DATASET_SCOPE_CHANGED,
        target=locked,
        protocol=locked.protocol,
        data={"title": locked.title, "from": before, "to": after, "approval": locked.approval.reference},
    )
    agreements = _live_agreements_covering([locked.pk])
    reason = f"The consent scope of the dataset {locked.title} changed under an approved amendment."
    _flag(agreements, by=by, reason=reason, data={"dataset_id": locked.pk, "from": before, "to": after})
    return locked, agreements


@transaction.atomic
def re_review_clear(*, agreement: Agreement, by: User, note: str) -> Agreement:
    """An officer of the data access committee records that the agreement was looked at again
    after the consent changed, and clears the flag."""
    locked = Agreement.objects.select_for_update().select_related("request").get(pk=agreement.pk)
    if not permissions.can_act_as_officer(by, locked.request):
        raise PermissionDenied
    if not locked.needs_re_review:
        raise TransitionRefused(gettext("This agreement is not waiting for a re-review."))
    if not note.strip():
        raise ValidationError(gettext("Say what the committee concluded."))
    reason = locked.re_review_reason
    locked.needs_re_review = False
    locked.re_review_reason = ""
    locked.save(update_fields=["needs_re_review", "re_review_reason"])
    audit_record(
        actor=by,
        action=AuditAction.AGREEMENT_RE_REVIEW_CLEARED,
        target=locked,
        data={"reference": locked.reference, "reason": reason, "note": note.strip()},
    )
    announce(request_ids=[locked.request_id], by=by)
    return locked


# ---------------------------------------------------------------------------------------
# End of term
# ---------------------------------------------------------------------------------------


def agreements_expire(*, today: date | None = None) -> list[Agreement]:
    """Expire every active or suspended agreement whose term ended before today (the daily scan;
    no person acts). Open grants are ended too: they were inactive already, since a grant's end
    is read whenever it is used; the stored states are made truthful. The requesting team and
    the committee's officers are told, with the date by which the data must be destroyed."""
    today = today or timezone.localdate()
    transition = _transition("expire")
    agreements = list(
        Agreement.objects.select_for_update(of=("self",))
        .filter(status__in=transition.sources, term_end__lt=today)
        .select_related("request")
        .order_by("pk")
    )
    if not agreements:
        return []
    transition_for("expire", agreements[0].status, {DataActor.SYSTEM}, AGREEMENT_TRANSITIONS)
    now = timezone.now()
    previous = {agreement.pk: agreement.status for agreement in agreements}
    Agreement.objects.filter(pk__in=list(previous)).update(
        status=transition.target, status_changed_at=now, status_reason="The term ended."
    )
    grants = list(
        AccessGrant.objects.select_for_update()
        .filter(agreement__in=list(previous), state=GrantState.OPEN)
        .order_by("pk")
    )
    for agreement in agreements:
        agreement.status, agreement.status_changed_at, agreement.status_reason = (
            transition.target,
            now,
            "The term ended.",
        )
        audit_record(
            actor=None,
            action=AuditAction(transition.audit_action),  # agreement.expired
            target=agreement,
            data={
                "reference": agreement.reference,
                "from": previous[agreement.pk],
                "to": agreement.status,
                "term_end": agreement.term_end.isoformat(),
            },
        )
    _end_grants(grants, by=None, reasons=dict.fromkeys(previous, "The agreement's term ended."), now=now)
    # The recipients are asked to record the destruction (the hand-off); the others are told it ended.
    handed = {
        (notification.recipient_id, notification.link)
        for notification in announce(request_ids=[agreement.request_id for agreement in agreements], by=None)
    }
    told = parties(agreements, provider=False)
    notify_many(
        Notice(
            recipients=[
                user for user in told[agreement.pk] if (user.pk, request_link(agreement.request)) not in handed
            ],
            kind="agreement.expired",
            params={
                **_about(agreement, agreement.request),
                "term_end": agreement.term_end,
                "destruction_due": agreement.destruction_due,
            },
            link=request_link(agreement.request),
        )
        for agreement in agreements
    )
    return agreements
