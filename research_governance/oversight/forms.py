from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .models import ApprovalCheck


class ApprovalCheckForm(StyledFormMixin, forms.Form):
    """The auditor's check of an approval: what they found, and a note (needed with findings)."""

    findings = forms.ChoiceField(
        label=_("Result of the check"), choices=ApprovalCheck.Findings.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when the check found something: say what, and who should act on it."),
    )
