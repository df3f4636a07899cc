from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin


class AssignForm(StyledFormMixin, forms.Form):
    prefix = "assign"
    reviewer = forms.ModelChoiceField(label=_("Reviewer"), queryset=None, empty_label=_("Choose a member…"))
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: object, members: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["reviewer"].queryset = members
        self.fields["reviewer"].label_from_instance = lambda user: user.display_name


class ConflictForm(StyledFormMixin, forms.Form):
    has_conflict = forms.TypedChoiceField(
        label=_("Do you have a conflict of interest with this study?"),
        choices=[("false", _("No")), ("true", _("Yes"))],
        coerce=lambda value: value == "true",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("What is the conflict?"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
