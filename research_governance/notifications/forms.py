from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import NotificationMode
from research_governance.core.forms import StyledFormMixin


class PreferencesForm(StyledFormMixin, forms.Form):
    notification_mode = forms.ChoiceField(
        label=_("Emails about your notifications"),
        choices=NotificationMode.choices,
        widget=forms.RadioSelect,
        help_text=_("Every notification is also listed here in the app, whichever you choose."),
    )
