"""The one write of the oversight app: an auditor records their check of an approval.

Auditors otherwise change nothing (tests/oversight/test_auditor_read_only.py); checking every
approval is what they are there for, so this is the one thing they write."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.protocols.permissions import is_oversight_reader
from research_governance.reviews.models import Approval

from .models import ApprovalCheck


def may_check(user: User, approval: Approval) -> bool:
    """An auditor of the approval's institution (the protocol's), today."""
    return is_oversight_reader(user, approval.protocol.institution_id)


@transaction.atomic
def approval_check_record(*, approval: Approval, by: User, findings: str, note: str = "") -> ApprovalCheck:
    """The auditor records that they checked the approval, with or without findings (a note says
    what was found). Once per approval: the first check settles it for every auditor."""
    locked = Approval.objects.select_for_update().select_related("protocol").get(pk=approval.pk)
    if not may_check(by, locked):
        raise PermissionDenied
    if findings not in ApprovalCheck.Findings.values:
        raise ValidationError({"findings": gettext("Say whether the check found anything.")})
    note = note.strip()
    if findings == ApprovalCheck.Findings.FINDINGS and not note:
        raise ValidationError({"note": gettext("Describe the findings.")})
    if ApprovalCheck.objects.filter(approval=locked).exists():
        raise ValidationError(gettext("An auditor has already checked this approval."))
    check = ApprovalCheck.objects.create(
        approval=locked, checked_by=by, checked_at=timezone.now(), findings=findings, note=note
    )
    audit_record(
        actor=by,
        action=AuditAction.APPROVAL_CHECKED,
        target=check,
        protocol=locked.protocol,
        data={"reference": locked.reference, "approval_id": locked.pk, "findings": findings, "note": note},
    )
    # The check leaves the other auditors' lists (nobody is told: nothing new waits).
    announce(protocol_ids=[locked.protocol_id], by=by)
    return check
