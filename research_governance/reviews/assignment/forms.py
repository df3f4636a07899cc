from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.engine.forms import ReviewerAssignForm

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
