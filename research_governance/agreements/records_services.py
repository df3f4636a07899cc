"""What is recorded about the data once shared: each provision of data by the provider (JP-IC-12,
kept at least three years) and, at the end, the recipient's record that the data were destroyed.
And the request page's panel for them, with the agreement's state (``cascade_services``)."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import person
from research_governance.notifications.services import notify
from research_governance.protocols.models import TeamMember
from research_governance.reviews.workflow import TransitionRefused

from . import cascade_services, permissions
from .models import Agreement, DataAccessRequest, Dataset, DestructionRecord, ProvisionRecord, provision_keep_until
from .services import dac_officers, request_link
from .workflow import AgreementStatus

ENDED_STATUSES = (AgreementStatus.EXPIRED, AgreementStatus.TERMINATED)
PANEL_PROVISIONS = 5


def agreement_of(data_request: DataAccessRequest) -> Agreement | None:
    try:
        return Agreement.objects.get(request=data_request)
    except Agreement.DoesNotExist:
        return None


# ---------------------------------------------------------------------------------------
# Destruction (the recipient)
# ---------------------------------------------------------------------------------------


def has_ended(agreement: Agreement, today: date | None = None) -> bool:
    """Expired or terminated, or its term is over (before the daily scan has caught up)."""
    today = today or timezone.localdate()
    return agreement.status in ENDED_STATUSES or (
        agreement.status != AgreementStatus.AWAITING_SIGNATURES and agreement.term_end < today
    )


def destruction_refusal(agreement: Agreement) -> str:
    """Why destruction cannot be recorded now ("" when it can)."""
    if DestructionRecord.objects.filter(agreement=agreement).exists():
        return gettext("The destruction of these data has already been recorded.")
    if not has_ended(agreement):
        return gettext("Destruction is recorded once the agreement has ended: its term runs until %(date)s.") % {
            "date": agreement.term_end.isoformat()
        }
    return ""


def can_record_destruction(user: User, agreement: Agreement) -> bool:
    """The requester and the members of the request's team: the recipient side."""
    return permissions.is_requesting_team(user, agreement.request)


@transaction.atomic
def destruction_record(
    *, agreement: Agreement, by: User, destroyed_on: date, destroyed_by: str, method: str, evidence: str
) -> DestructionRecord:
    """The recipient records that the data were destroyed: who, when, how and the evidence.

    Only once the agreement has ended, and once. The committee's officers are told."""
    locked = Agreement.objects.select_for_update().select_related("request").get(pk=agreement.pk)
    if not can_record_destruction(by, locked):
        raise PermissionDenied
    refusal = destruction_refusal(locked)
    if refusal:
        raise TransitionRefused(refusal)
    if destroyed_on > timezone.localdate():
        raise ValidationError({"destroyed_on": gettext("The date of destruction cannot be in the future.")})
    record = DestructionRecord(
        agreement=locked,
        destroyed_on=destroyed_on,
        destroyed_by=destroyed_by.strip(),
        method=method.strip(),
        evidence=evidence.strip(),
        recorded_by=by,
        recorded_at=timezone.now(),
    )
    record.full_clean()
    record.save()
    audit_record(
        actor=by,
        action=AuditAction.DESTRUCTION_RECORDED,
        target=record,
        data={
            "agreement": locked.reference,
            "destroyed_on": destroyed_on.isoformat(),
            "destroyed_by": record.destroyed_by,
            "method": record.method,
            "evidence": record.evidence,
        },
    )
    notify(
        recipients=dac_officers(locked.request.institution_id),
        kind="destruction.recorded",
        params={
            "reference": locked.reference,
            "title": locked.request.title,
            "recorder": person(by),
            "destroyed_on": destroyed_on,
        },
        link=request_link(locked.request),
    )
    announce(request_ids=[locked.request_id], by=by)
    return record


# ---------------------------------------------------------------------------------------
# Provision records (the provider, JP-IC-12)
# ---------------------------------------------------------------------------------------


def providing_datasets(user: User, agreement: Agreement) -> QuerySet[Dataset]:
    """The agreement's datasets the user provides: all of them for an unconflicted officer of the
    committee, those of the studies whose PI or team the user is on otherwise."""
    datasets = Dataset.objects.filter(requests=agreement.request_id).select_related("protocol")
    if permissions.can_act_as_officer(user, agreement.request):
        return datasets
    return datasets.filter(
        Q(protocol__principal_investigator=user)
        | Q(protocol__in=TeamMember.objects.filter(user=user).values("protocol"))
    )


def can_record_provision(user: User, agreement: Agreement) -> bool:
    return user.is_authenticated and providing_datasets(user, agreement).exists()


def provision_refusal(agreement: Agreement) -> str:
    if agreement.status != AgreementStatus.ACTIVE:
        return gettext("Data are provided only under an active agreement; this one is %(status)s.") % {
            "status": agreement.get_status_display().lower()
        }
    return ""


@transaction.atomic
def provision_record(
    *,
    agreement: Agreement,
    by: User,
    dataset: Dataset,
    provided_on: date,
    items: str,
    medium: str,
    recipient: str,
) -> ProvisionRecord:
    """The provider records one provision of data under an active agreement (JP-IC-12): the date,
    the items, the medium, the recipient and who provided them. Kept three years from the date."""
    locked = Agreement.objects.select_for_update().select_related("request").get(pk=agreement.pk)
    if not providing_datasets(by, locked).filter(pk=dataset.pk).exists():
        raise PermissionDenied
    refusal = provision_refusal(locked)
    if refusal:
        raise TransitionRefused(refusal)
    if provided_on > timezone.localdate():
        raise ValidationError({"provided_on": gettext("The date of provision cannot be in the future.")})
    if provided_on < locked.term_start:
        raise ValidationError(
            {
                "provided_on": gettext("The agreement's term starts on %(date)s.")
                % {"date": locked.term_start.isoformat()}
            }
        )
    record = ProvisionRecord(
        agreement=locked,
        dataset=dataset,
        provided_on=provided_on,
        items=items.strip(),
        medium=medium,
        recipient=recipient.strip(),
        provided_by=by,
        recorded_at=timezone.now(),
        # JP-IC-12: kept at least three years from the provision.
        keep_until=provision_keep_until(provided_on),
    )
    record.full_clean()
    record.save()
    audit_record(
        actor=by,
        action=AuditAction.PROVISION_RECORDED,
        target=record,
        protocol=dataset.protocol,
        data={
            "agreement": locked.reference,
            "dataset": dataset.title,
            "provided_on": provided_on.isoformat(),
            "items": record.items,
            "medium": medium,
            "recipient": record.recipient,
            "keep_until": record.keep_until.isoformat(),
        },
    )
    return record


def register_institutions(user: User) -> list[int]:
    """The institutions whose provision register the user reads: as an officer of its data access
    committee, or as its auditor or administrator."""
    return permissions.officer_or_oversight_institutions(user)


def provision_register(
    *, institution_ids: list[int], since: date | None = None, until: date | None = None
) -> QuerySet[ProvisionRecord]:
    """Every provision record of the institutions, newest first, with what a row shows."""
    records = ProvisionRecord.objects.filter(agreement__request__institution_id__in=institution_ids)
    if since:
        records = records.filter(provided_on__gte=since)
    if until:
        records = records.filter(provided_on__lte=until)
    return records.select_related("agreement__request", "dataset", "provided_by").order_by("-provided_on", "-id")


# ---------------------------------------------------------------------------------------
# The request page's panel
# ---------------------------------------------------------------------------------------


def panel(user: User, data_request: DataAccessRequest) -> dict[str, Any] | None:
    """The agreement's state and why, the re-review flag, the destruction record and the
    provision records, with what the user may do about them. None before there is an agreement."""
    agreement = agreement_of(data_request)
    if agreement is None or not permissions.can_view_request(user, data_request):
        return None
    is_officer = permissions.can_act_as_officer(user, data_request)
    destruction = DestructionRecord.objects.filter(agreement=agreement).select_related("recorded_by").first()
    provisions = list(
        ProvisionRecord.objects.filter(agreement=agreement).select_related("dataset", "provided_by")[:PANEL_PROVISIONS]
    )
    may_record_destruction = destruction is None and can_record_destruction(user, agreement)
    may_record_provision = can_record_provision(user, agreement)
    lapsed = cascade_services.approvals_not_active(agreement) if agreement.status == AgreementStatus.SUSPENDED else []
    return {
        "agreement": agreement,
        "lapsed_approvals": lapsed,
        "destruction": destruction,
        "may_record_destruction": may_record_destruction,
        "destruction_refusal": destruction_refusal(agreement) if may_record_destruction else "",
        "provisions": provisions,
        "provision_count": ProvisionRecord.objects.filter(agreement=agreement).count(),
        "may_record_provision": may_record_provision,
        "provision_refusal": provision_refusal(agreement) if may_record_provision else "",
        "may_reinstate": is_officer and agreement.status == AgreementStatus.SUSPENDED,
        "reinstatement_blockers": cascade_services.reinstatement_blockers(agreement)
        if is_officer and agreement.status == AgreementStatus.SUSPENDED
        else [],
        "may_clear_re_review": is_officer and agreement.needs_re_review,
    }
