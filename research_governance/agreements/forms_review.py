"""Forms of the committee's side, the signature and the terms (agreements.review)."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.workflow import DecisionOutcome

from .models import RequestReview
from .workflow import REQUEST_OUTCOMES


class ReturnForm(StyledFormMixin, forms.Form):
    reasons = forms.CharField(
        label=_("What the requester must change"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The requester sees this, edits the request and submits it again."),
    )


class AssignForm(StyledFormMixin, forms.Form):
    prefix = "assign"
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"), queryset=User.objects.none(), empty_label=_("Choose a member…")
    )
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: object, candidates: list[User] | None = None, **kwargs: object) -> None:
        kwargs.setdefault("initial", {"due_date": timezone.localdate() + timedelta(days=14)})
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["reviewer"]
        field.queryset = User.objects.filter(pk__in=[user.pk for user in candidates or []]).order_by("email")
        field.label_from_instance = lambda user: user.display_name


class ConflictForm(StyledFormMixin, forms.Form):
    prefix = "conflict"
    reason = forms.CharField(
        label=_("Your conflict of interest"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("After declaring it you no longer see this request (US-IRB-03)."),
    )


class ReviewForm(StyledFormMixin, forms.Form):
    recommendation = forms.ChoiceField(
        label=_("Your recommendation"), choices=RequestReview.Recommendation.choices, widget=forms.RadioSelect
    )
    comments = forms.CharField(label=_("Comments for the committee"), widget=forms.Textarea(attrs={"rows": 8}))


class DecisionForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(value, DecisionOutcome(value).label) for value in REQUEST_OUTCOMES],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 5}))
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Only for an approval with conditions: they are printed in the agreement."),
    )


class SignForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Entered again to sign (US-R-01). A wrong password signs nothing."),
    )
