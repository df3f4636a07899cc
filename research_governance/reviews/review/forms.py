from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.review.services import RATING_LABELS

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ReviewForm(StyledFormMixin, forms.Form):
    """The checklist: a rating and a comment per section, a recommendation and a summary."""

    recommendation = forms.ChoiceField(label=_("Recommendation"), required=False, widget=forms.RadioSelect)
    summary = forms.CharField(
        label=_("Summary for the committee"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(
        self,
        *args: Any,
        sections: Iterable[tuple[str, "StrOrPromise"]] = (),
        recommendations: Sequence[tuple[str, "StrOrPromise"]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        rating_choices = list(RATING_LABELS)
        self.section_keys: list[str] = []
        for key, label in sections:
            self.fields[f"{key}_rating"] = forms.ChoiceField(
                label=label, choices=rating_choices, required=False, widget=forms.RadioSelect
            )
            self.fields[f"{key}_comment"] = forms.CharField(
                label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
            )
            self.section_keys.append(key)
        recommendation = self.fields["recommendation"]
        assert isinstance(recommendation, forms.ChoiceField)
        recommendation.choices = recommendations
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


class CommentForm(StyledFormMixin, forms.Form):
    """A comment on one anchor of the version under review; the prefix names the anchor, so each
    section and document has its own form with its own field ids."""

    location = forms.CharField(
        label=_("Where (optional)"), max_length=100, required=False, help_text=_("For example: p. 3, §2")
    )
    text = forms.CharField(label=_("Comment"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
