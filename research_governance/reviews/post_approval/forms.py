from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.models import Report
from research_governance.reviews.post_approval.reports import REPORT_FIELDS, SUMMARY_LABELS, clean_report


class ApprovalChangeForm(StyledFormMixin, forms.Form):
    prefix = "approval"
    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("suspend", _("Suspend the approval")), ("close", _("Close the approval"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))


class AmendmentForm(StyledFormMixin, forms.Form):
    """What an amendment changes, asked when it is submitted."""

    changes_summary = forms.CharField(
        label=_("What changes, and why"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The committee reads this first; the page also shows each change against the version in force."),
    )
    minor_change = forms.BooleanField(
        label=_("This is a minor change"),
        required=False,
        help_text=_(
            "For example a change of staff or of contact details that does not affect the participants; "
            "a minor change may be reviewed by expedited review (JP-ERC-10). The secretariat decides the route."
        ),
    )


class ReportForm(StyledFormMixin, forms.ModelForm):
    """A post-approval report; the fields are the kind's, as ``reports.REPORT_FIELDS`` declares."""

    class Meta:
        model = Report
        fields = [name for names in REPORT_FIELDS.values() for name, _required in names]
        widgets = {
            name: forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            for name in ("period_from", "period_to", "occurred_on", "became_aware_on", "completed_on")
        } | {name: forms.Textarea(attrs={"rows": 4}) for name in ("summary", "actions_taken", "results_summary")}

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wanted = dict(REPORT_FIELDS[kind])
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
            else:
                self.fields[name].required = wanted[name]
        self.kind = kind
        self.fields["summary"].label = SUMMARY_LABELS[kind]
        self.order_fields([name for name, _required in REPORT_FIELDS[kind]])
        if "causality" in self.fields:
            causality = self.fields["causality"]
            assert isinstance(causality, forms.ChoiceField)
            causality.choices = [("", "—"), *Report.Causality.choices]

    def clean(self) -> dict[str, object]:
        # The service's checks too (dates in order, none in the future), so every problem shows at once.
        cleaned = super().clean() or {}
        try:
            clean_report(self.kind, cleaned)
        except ValidationError as invalid:
            for field, messages in invalid.message_dict.items():
                if field not in self.errors:
                    self.add_error(field, messages)
        return cleaned
