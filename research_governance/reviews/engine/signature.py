"""An electronic signature's two components (US-R-01): the signed-in identity and the signer's
password, entered again to sign. Both committees sign this way: an officer signing off a
condition, a party signing a data-sharing agreement."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

from research_governance.accounts.models import User


def check_signature(by: User, password: str) -> None:
    """Refuse a wrong (or no) password: nothing is signed."""
    if not password or not by.check_password(password):
        raise ValidationError(gettext("The password is not correct; nothing was signed."))


def signature_meanings() -> list[str]:
    """What a signature may mean: review, approval or responsibility (US-R-01)."""
    from research_governance.reviews.models import Condition

    return list(Condition.Meaning.values)
