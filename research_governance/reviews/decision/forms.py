from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.workflow import DecisionOutcome


class DecisionForm(StyledFormMixin, forms.Form):
    """The expedited decision, recorded by the secretariat or the chair (JP-ERC-10, US-IRB-05)."""

    prefix = "decision"
    outcome = forms.ChoiceField(label=_("Decision"), choices=DecisionOutcome.choices, widget=forms.RadioSelect)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for an approval with conditions: one condition per line; each is numbered."),
    )
    validity_months = forms.IntegerField(
        label=_("Approval period (months)"),
        required=False,
        min_value=1,
        max_value=120,
        help_text=_("Leave empty for the institution's default."),
    )

    def condition_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["conditions"].splitlines() if line.strip()]
