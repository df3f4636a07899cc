"""Conditions of an approval: the applicants answer them; the secretariat or the chair signs them off."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
from research_governance.protocols import permissions
from research_governance.protocols.models import Protocol
from research_governance.reviews.answers import _record_answer
from research_governance.reviews.models import Condition
from research_governance.reviews.participants import _refuse_conflicted, actors_for
from research_governance.reviews.workflow import CONDITION_TRANSITIONS, transition_for


def _condition_for_update(condition: Condition, by: User) -> tuple[Condition, Protocol]:
    locked = Condition.objects.select_for_update().select_related("decision__submission").get(pk=condition.pk)
    protocol = Protocol.objects.get(pk=locked.decision.submission.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    return locked, protocol


@transaction.atomic
def condition_answer(*, condition: Condition, by: User, response: str) -> Condition:
    """The applicant answers a condition; it can change until it is signed off."""
    locked, protocol = _condition_for_update(condition, by)
    transition = transition_for("answer", locked.state, actors_for(by, protocol), CONDITION_TRANSITIONS)
    _record_answer(locked, by=by, response=response)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.decision.submission,
        protocol=protocol,
        data={"condition_id": locked.pk, "number": locked.number, "response": locked.response},
    )
    return locked


@transaction.atomic
def condition_sign_off(*, condition: Condition, by: User, meaning: str, password: str) -> Condition:
    """The secretariat or the chair signs off an answered condition. The signature shows the printed
    name at signing, the date and time, and its meaning, on the row it signs (US-R-01). It has two
    components: the signed-in identity and the signer's password, entered again to sign."""
    locked, protocol = _condition_for_update(condition, by)
    transition = transition_for("sign_off", locked.state, actors_for(by, protocol), CONDITION_TRANSITIONS)
    _refuse_conflicted(by, locked.decision.submission)
    if meaning not in Condition.Meaning.values:
        raise ValidationError(gettext("Choose what your signature means: review, approval or responsibility."))
    if not password or not by.check_password(password):
        raise ValidationError(gettext("The password is not correct; nothing was signed."))
    locked.signed_off_at = timezone.now()
    locked.signed_off_by = by
    locked.signature_name = by.display_name
    locked.signature_meaning = meaning
    locked.save(update_fields=["signed_off_at", "signed_off_by", "signature_name", "signature_meaning"])
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked.decision.submission,
        protocol=protocol,
        data={
            "condition_id": locked.pk,
            "number": locked.number,
            "signature_name": locked.signature_name,
            "signature_meaning": meaning,
            "signed_at": locked.signed_off_at.isoformat(),
            "signature_components": ["signed-in user", "password"],
        },
    )
    return locked
