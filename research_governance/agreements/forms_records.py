"""Forms of the records pages: destruction, provision, the provision register's filter, and the
committee's re-review note."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .models import DataAccessRequest, Dataset

DATE_WIDGET: dict[str, Any] = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


class DestructionForm(StyledFormMixin, forms.Form):
    destroyed_on = forms.DateField(label=_("Destroyed on"), widget=forms.DateInput(**DATE_WIDGET))
    destroyed_by = forms.CharField(
        label=_("Destroyed by"), max_length=200, help_text=_("The person or the contractor who destroyed the data.")
    )
    method = forms.CharField(
        label=_("How"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example secure erasure of the disks, or shredding of the media."),
    )
    evidence = forms.CharField(
        label=_("Evidence"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example a certificate number or a log reference."),
    )


class ProvisionForm(StyledFormMixin, forms.Form):
    dataset = forms.ModelChoiceField(label=_("Dataset"), queryset=Dataset.objects.none(), empty_label=None)
    provided_on = forms.DateField(label=_("Provided on"), widget=forms.DateInput(**DATE_WIDGET))
    items = forms.CharField(
        label=_("Items provided"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The data items or files provided, so the provision can be traced (JP-IC-12)."),
    )
    medium = forms.ChoiceField(label=_("Medium"), choices=DataAccessRequest.Medium.choices)
    recipient = forms.CharField(label=_("Recipient"), max_length=200)

    def __init__(self, *args: Any, datasets: QuerySet[Dataset] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["dataset"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = datasets


class RegisterFilterForm(StyledFormMixin, forms.Form):
    since = forms.DateField(label=_("Provided from"), required=False, widget=forms.DateInput(**DATE_WIDGET))
    until = forms.DateField(label=_("Provided until"), required=False, widget=forms.DateInput(**DATE_WIDGET))


class ReReviewForm(StyledFormMixin, forms.Form):
    prefix = "rereview"
    note = forms.CharField(
        label=_("What the committee concluded"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the request still falls within the narrowed consent."),
    )
