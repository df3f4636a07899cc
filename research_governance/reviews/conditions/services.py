"""Conditions of an approval: the applicants answer them; the secretariat or the chair signs them
off, through the committee-review engine (``reviews.engine.condition_services``)."""

from django.db import transaction

from research_governance.accounts.models import User
from research_governance.notifications.handoff import announce
from research_governance.reviews.engine import condition_services
from research_governance.reviews.engine.ethics_services import EthicsSubmission
from research_governance.reviews.models import Condition


@transaction.atomic
def condition_answer(*, condition: Condition, by: User, response: str) -> Condition:
    """The applicant answers a condition; it can change until it is signed off."""
    locked, subject = EthicsSubmission.for_condition(condition, by)
    condition_services.condition_answer(subject, locked, by=by, response=response)
    # The chair and the secretariat sign it off.
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return locked


@transaction.atomic
def condition_sign_off(*, condition: Condition, by: User, meaning: str, password: str) -> Condition:
    """The secretariat or the chair signs off an answered condition. The signature shows the printed
    name at signing, the date and time, and its meaning, on the row it signs (US-R-01). It has two
    components: the signed-in identity and the signer's password, entered again to sign."""
    locked, subject = EthicsSubmission.for_condition(condition, by)
    condition_services.condition_sign_off(subject, locked, by=by, meaning=meaning, password=password)
    # The last sign-off hands the decision to the head (JP-ERC-13).
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return locked
