"""Forms of the committee's side (``dac_services``), the signature and the terms (``agreement_services``)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.engine.forms import ReviewerAssignForm, text_field
from research_governance.reviews.engine.models import Recommendation
from research_governance.reviews.workflow import DecisionOutcome

from .workflow import REQUEST_OUTCOMES


class ReturnForm(StyledFormMixin, forms.Form):
    reasons = text_field(
        _("What the requester must change"),
        rows=6,
        help_text=_("The requester sees this, edits the request and submits it again."),
    )


# Assigning a reviewer is the engine's form, as for the ethics committee.
AssignForm = ReviewerAssignForm


class ConflictForm(StyledFormMixin, forms.Form):
    prefix = "conflict"
    reason = text_field(
        _("Your conflict of interest"),
        rows=2,
        help_text=_("After declaring it you no longer see this request (US-IRB-03)."),
    )


class ReviewForm(StyledFormMixin, forms.Form):
    recommendation = forms.ChoiceField(
        label=_("Your recommendation"), choices=Recommendation.choices, widget=forms.RadioSelect
    )
    comments = text_field(_("Comments for the committee"), rows=8)


class DecisionForm(StyledFormMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=_("Decision"),
        choices=[(value, DecisionOutcome(value).label) for value in REQUEST_OUTCOMES],
        widget=forms.RadioSelect,
    )
    reasons = text_field(_("Reasons"), rows=5)
    conditions = text_field(
        _("Conditions"),
        rows=4,
        required=False,
        help_text=_("Only for an approval with conditions: they are printed in the agreement."),
    )


class SignForm(StyledFormMixin, forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Entered again to sign (US-R-01). A wrong password signs nothing."),
    )
