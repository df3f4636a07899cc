"""A committee member declares whether they have a conflict of interest with a subject
(US-IRB-03). A declared conflict ends their open assignment on it at once, and with it whatever
the assignment granted; from then on they review nothing of it and take no part in its decision."""

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User

from .assignment_services import assignment_withdraw
from .models import AssignmentStatus, ConflictDeclarationBase
from .subject import ReviewSubject


def conflict_declare(
    subject: ReviewSubject, *, member: User, has_conflict: bool = True, reason: str = ""
) -> ConflictDeclarationBase:
    """Record the member's declaration on the locked subject; declaring again replaces it."""
    subject.require_declarer(member)
    if has_conflict and not reason.strip():
        raise ValidationError(gettext("Say briefly what the conflict is."))
    declaration, _created = subject.declaration_model.objects.update_or_create(
        **{subject.subject_field: subject.row, "member": member},
        defaults={"has_conflict": has_conflict, "reason": reason.strip(), "declared_at": timezone.now()},
    )
    withdrawn = 0
    if has_conflict:
        for assignment in (
            subject.assignments().select_for_update().filter(reviewer=member, status=AssignmentStatus.ASSIGNED)
        ):
            assignment_withdraw(subject, assignment)
            withdrawn += 1
    subject.audit(
        by=member,
        action=subject.rules.audit.conflict_declared,
        data={"has_conflict": has_conflict, "reason": declaration.reason, "review_withdrawn": bool(withdrawn)},
    )
    return declaration
