from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin


class RefusalForm(StyledFormMixin, forms.Form):
    """The public refusal form on a notice (JP-IC-10): enough for the study team to find the
    person's records and reach them, nothing more."""

    contact_name = forms.CharField(label=_("Your name"), max_length=200)
    contact_details = forms.CharField(
        label=_("How to contact you"),
        max_length=300,
        help_text=_("A telephone number, a postal address or an email address: the study team uses it only to reply."),
    )
    details = forms.CharField(
        label=_("Which records"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For example your patient ID at the hospital and when you visited, so the team can find them."),
    )
    confirm = forms.BooleanField(
        label=_("I refuse the use of my information in this study and ask that its use and provision stop."),
    )
    # A honeypot: hidden from people (and from assistive technology); a robot that fills every
    # field fills it, and its submission is dropped.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def is_spam(self) -> bool:
        return bool(self.data.get(self.add_prefix("website"), "").strip())
