from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.models import Condition


class SignOffForm(StyledFormMixin, forms.Form):
    """A sign-off is a signature: its meaning is stated with the printed name, date and time (US-R-01)."""

    meaning = forms.ChoiceField(
        label=_("Meaning of your signature"), choices=Condition.Meaning.choices, widget=forms.RadioSelect
    )
    # The second component of the electronic signature (US-R-01): never echoed back into the page.
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Entering your password signs with your name, the date and time, and the meaning above."),
    )
