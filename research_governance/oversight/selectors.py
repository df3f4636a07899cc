"""Reads for the oversight pages: the approvals register. Reports are in reports.py, the
committee report (JP-ERC-11) in committee_report.py. Nothing here writes."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from research_governance.audit.actions import AuditAction
from research_governance.audit.models import AuditEvent
from research_governance.committees.models import Committee
from research_governance.letters.models import Letter
from research_governance.reviews.models import AgendaItem, Approval, Condition
from research_governance.reviews.workflow import ApprovalStatus

# The audit trail's events that end an approval. There is no way back to "active" from any of
# them (reviews.workflow.APPROVAL_TRANSITIONS), so the first one is the day it stopped.
ENDING_ACTIONS = (AuditAction.APPROVAL_SUSPENDED, AuditAction.APPROVAL_CLOSED, AuditAction.APPROVAL_EXPIRED)
APPROVAL_TARGET = "reviews.approval"


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the institution's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class RegisterFilters:
    status: str = ""
    committee_id: int | None = None
    query: str = ""
    active_on: date | None = None


def approval_register(institution_ids: list[int], filters: RegisterFilters) -> QuerySet[Approval]:
    """Every approval of the institutions, newest first, with what the register shows, in a
    fixed number of queries: the page, its conditions and its letters (prefetched).

    ``committee_pk``: the committee whose meeting decided it (full board), else the
    institution's first ethics committee (the expedited route has no meeting).
    ``ended_at``: when the audit trail records it was suspended, closed or expired (None if not).

    Active on D: valid_from <= D <= valid_until, and no suspension, closure or expiry recorded
    before the end of D (an approval suspended during D is not counted as active on D)."""
    meeting_committee = AgendaItem.objects.filter(pk=OuterRef("decision__meeting_item_id")).values(
        "meeting__committee_id"
    )[:1]
    ethics_committee = (
        Committee.objects.filter(institution_id=OuterRef("protocol__institution_id"), kind=Committee.Kind.ETHICS)
        .order_by("id")
        .values("id")[:1]
    )
    ended = (
        AuditEvent.objects.filter(
            target_type=APPROVAL_TARGET,
            target_id=Cast(OuterRef("pk"), output_field=CharField()),
            action__in=ENDING_ACTIONS,
        )
        .order_by("occurred_at", "id")
        .values("occurred_at")[:1]
    )
    approvals = (
        Approval.objects.filter(protocol__institution_id__in=institution_ids)
        .annotate(
            committee_pk=Coalesce(Subquery(meeting_committee), Subquery(ethics_committee), output_field=IntegerField()),
            ended_at=Subquery(ended),
        )
        .select_related(
            "protocol",
            "protocol__principal_investigator",
            "version",
            "decision",
            "decision__submission__version",
            "audit_check",
            "audit_check__checked_by",
        )
        .prefetch_related(
            Prefetch("decision__conditions", queryset=Condition.objects.order_by("number")),
            Prefetch(
                "decision__letters",
                queryset=Letter.objects.filter(replaced_by__isnull=True).order_by("kind", "language", "id"),
                to_attr="current_letters",
            ),
        )
        .order_by("-created_at", "-id")
    )
    if filters.status:
        approvals = approvals.filter(status=filters.status)
    if filters.committee_id:
        approvals = approvals.filter(committee_pk=filters.committee_id)
    if filters.query:
        text = filters.query
        approvals = approvals.filter(
            Q(reference__icontains=text)
            | Q(protocol__reference__icontains=text)
            | Q(protocol__title_en__icontains=text)
            | Q(protocol__title_ja__icontains=text)
            | Q(protocol__principal_investigator__name_latin__icontains=text)
            | Q(protocol__principal_investigator__name_ja__icontains=text)
        )
    if filters.active_on:
        day = filters.active_on
        approvals = approvals.filter(valid_from__lte=day, valid_until__gte=day).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=start_of_day(day + timedelta(days=1)))
        )
    return approvals


def committees_of(institution_ids: list[int]) -> list[Committee]:
    return list(Committee.objects.filter(institution_id__in=institution_ids).order_by("code"))


def condition_summary(approval: Approval) -> dict[str, int]:
    """How many conditions the approving decision set, and where they stand (prefetched)."""
    conditions = list(approval.decision.conditions.all())
    signed = sum(1 for c in conditions if c.signed_off_at)
    answered = sum(1 for c in conditions if c.responded_at and not c.signed_off_at)
    return {
        "total": len(conditions),
        "signed_off": signed,
        "answered": answered,
        "open": len(conditions) - signed - answered,
    }


def condition_text(summary: dict[str, int]) -> str:
    if not summary["total"]:
        return _("none")
    return _("%(total)d: %(signed)d signed off, %(answered)d answered, %(open)d open") % {
        "total": summary["total"],
        "signed": summary["signed_off"],
        "answered": summary["answered"],
        "open": summary["open"],
    }


def register_rows(approvals: Any, committees: dict[int, Committee]) -> list[dict[str, Any]]:
    """What the page and the exports show of each approval (no queries beyond the prefetches)."""
    rows = []
    for approval in approvals:
        conditions = condition_summary(approval)
        committee = committees.get(approval.committee_pk)
        rows.append(
            {
                "approval": approval,
                "protocol": approval.protocol,
                "status": approval.status,
                "status_label": str(ApprovalStatus(approval.status).label),
                "ended_on": timezone.localdate(approval.ended_at) if approval.ended_at else None,
                "committee": committee,
                "conditions": conditions,
                "conditions_text": condition_text(conditions),
                "letters": approval.decision.current_letters,
                "version_approved": approval.decision.submission.version.number,
                "version_in_force": approval.version.number,
                # The auditor's check (oversight.ApprovalCheck), or None: not yet checked.
                "check": getattr(approval, "audit_check", None),
            }
        )
    return rows


def export_header() -> list[str]:
    return [
        _("Approval reference"),
        _("Protocol reference"),
        _("Title"),
        _("Principal investigator"),
        _("Status"),
        _("Valid from"),
        _("Valid until"),
        _("Ended on"),
        _("Committee"),
        _("Conditions"),
        _("Conditions signed off"),
        _("Version approved"),
        _("Version in force"),
        _("Letters"),
        _("Checked on"),
        _("Checked by"),
        _("Findings"),
    ]


def export_values(row: dict[str, Any]) -> list[Any]:
    approval, protocol = row["approval"], row["protocol"]
    return [
        approval.reference,
        protocol.reference,
        protocol.title,
        protocol.principal_investigator.display_name,
        row["status_label"],
        approval.valid_from,
        approval.valid_until,
        row["ended_on"] or "",
        str(row["committee"]) if row["committee"] else "",
        row["conditions"]["total"],
        row["conditions"]["signed_off"],
        row["version_approved"],
        row["version_in_force"],
        " ".join(letter.reference for letter in row["letters"]),
        timezone.localdate(check.checked_at) if (check := row["check"]) else "",
        check.checked_by.display_name if check else "",
        check.get_findings_display() if check else "",
    ]


def approval_for_check(approval_id: int, institution_ids: list[int]) -> Approval | None:
    """One approval of the institutions with what its check page shows: the protocol, the
    decision with its conditions and the head's permission, the current letters, and the check."""
    return (
        Approval.objects.filter(pk=approval_id, protocol__institution_id__in=institution_ids)
        .select_related(
            "protocol",
            "protocol__principal_investigator",
            "version",
            "decision",
            "decision__decided_by",
            "decision__submission__version",
            "decision__permission",
            "decision__permission__by",
            "audit_check",
            "audit_check__checked_by",
        )
        .prefetch_related(
            Prefetch("decision__conditions", queryset=Condition.objects.order_by("number")),
            Prefetch(
                "decision__letters",
                queryset=Letter.objects.filter(replaced_by__isnull=True).order_by("kind", "language", "id"),
                to_attr="current_letters",
            ),
        )
        .first()
    )
