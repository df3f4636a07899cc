"""What the engine's forms share between the committees: assigning a reviewer, and the free-text
fields their forms ask for."""

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.core.forms import StyledFormMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _MemberChoiceField(forms.ModelChoiceField):
    """Members listed by the name they go by."""

    def label_from_instance(self, obj: User) -> str:
        return obj.display_name


class ReviewerAssignForm(StyledFormMixin, forms.Form):
    """A member of the committee and a due date; ``members`` are the ones who may be chosen."""

    prefix = "assign"
    reviewer = _MemberChoiceField(label=_("Reviewer"), queryset=User.objects.none(), empty_label=_("Choose a member…"))
    due_date = forms.DateField(label=_("Due"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args: Any, members: QuerySet[User] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ModelChoiceField, self.fields["reviewer"])
        field.queryset = members if members is not None else User.objects.none()


def text_field(
    label: "StrOrPromise", *, rows: int, help_text: "StrOrPromise" = "", required: bool = True
) -> forms.CharField:
    """A few lines of free text, as the committees ask for reasons, conflicts and comments."""
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )
