"""What the engine's forms share between the committees: assigning a reviewer, and the free-text
fields their forms ask for."""

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.forms import StyledFormMixin


class ReviewerAssignForm(StyledFormMixin, forms.Form):
    """A member of the committee and a due date; ``members`` are the ones who may be chosen."""

    prefix = "assign"
    reviewer = forms.ModelChoiceField(
        label=_("Reviewer"), queryset=User.objects.none(), empty_label=_("Choose a member…")
    )
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, members: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["reviewer"])
        field.queryset = members if members is not None else User.objects.none()
        field.label_from_instance = lambda user: user.display_name


def text_field(label: Promise, *, rows: int, help_text: Promise | str = "", required: bool = True) -> forms.CharField:
    """A few lines of free text, as the committees ask for reasons, conflicts and comments."""
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )
