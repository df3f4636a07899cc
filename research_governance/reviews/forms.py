from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .engine.forms import ReviewerAssignForm
from .models import Condition, Report
from .reports import REPORT_FIELDS, SUMMARY_LABELS, clean_report
from .services import RATING_LABELS
from .workflow import DecisionOutcome, ReviewRoute


class AcceptForm(StyledFormMixin, forms.Form):
    prefix = "accept"
    route = forms.ChoiceField(label=_("Review route"), choices=ReviewRoute.choices, widget=forms.RadioSelect)


class ReturnForm(StyledFormMixin, forms.Form):
    prefix = "return"
    requests = forms.CharField(
        label=_("Requests to the investigator"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One request per line; each is numbered and answered separately."),
    )

    def request_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["requests"].splitlines() if line.strip()]


class AnswerForm(StyledFormMixin, forms.Form):
    response = forms.CharField(label=_("Your answer"), widget=forms.Textarea(attrs={"rows": 3}))


class ApprovalChangeForm(StyledFormMixin, forms.Form):
    prefix = "approval"
    action = forms.ChoiceField(
        label=_("Change"),
        choices=[("suspend", _("Suspend the approval")), ("close", _("Close the approval"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 3}))


# Assigning a reviewer is the review engine's form, shared with the data access committee.
AssignForm = ReviewerAssignForm


class ConflictForm(StyledFormMixin, forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this study?"),
        choices=[("false", _("No")), ("true", _("Yes"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("What is the conflict?"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReviewForm(StyledFormMixin, forms.Form):
    """The checklist: a rating and a comment per section, a recommendation and a summary."""

    recommendation = forms.ChoiceField(label=_("Recommendation"), required=False, widget=forms.RadioSelect)
    summary = forms.CharField(
        label=_("Summary for the committee"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: object, sections: object = (), recommendations: object = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        rating_choices = list(RATING_LABELS)
        self.section_keys = []
        for key, label in sections:  # type: ignore[attr-defined]
            self.fields[f"{key}_rating"] = forms.ChoiceField(
                label=label, choices=rating_choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"{key}_comment"] = forms.CharField(
                label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
            )
            self.section_keys.append(key)
        self.fields["recommendation"].choices = recommendations
        # The recommendation and summary come after the sections.
        self.order_fields(
            [
                *(f for key in self.section_keys for f in (f"{key}_rating", f"{key}_comment")),
                "recommendation",
                "summary",
            ]
        )

    def checklist(self) -> dict[str, dict[str, str]]:
        return {
            key: {
                "rating": self.cleaned_data.get(f"{key}_rating", ""),
                "comment": self.cleaned_data.get(f"{key}_comment", ""),
            }
            for key in self.section_keys
        }

    def section_pairs(self) -> list[tuple[object, object]]:
        return [(self[f"{key}_rating"], self[f"{key}_comment"]) for key in self.section_keys]


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


class HeadPermissionForm(StyledFormMixin, forms.Form):
    prefix = "permission"
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("permit", _("Permit the research")), ("refuse", _("Refuse permission"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you refuse."),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reasons") or "").strip():
            self.add_error("reasons", _("Give the reasons for refusing permission."))
        return cleaned


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

    def __init__(self, *args: object, kind: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
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
            self.fields["causality"].choices = [("", "—"), *Report.Causality.choices]

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


class CommentForm(StyledFormMixin, forms.Form):
    """A comment on one anchor of the version under review; the prefix names the anchor, so each
    section and document has its own form with its own field ids."""

    location = forms.CharField(
        label=_("Where (optional)"), max_length=100, required=False, help_text=_("For example: p. 3, §2")
    )
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
