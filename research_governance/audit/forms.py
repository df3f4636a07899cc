"""The audit pages' filters (GET forms)."""

from typing import Any

from django import forms
from django.apps import apps
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .display import ACTION_LABELS
from .models import AccessKind

DATE_WIDGET: dict[str, Any] = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


def _object_types() -> list[tuple[str, str]]:
    """The project's models, by the label events store (``protocols.protocol``)."""
    models = [m for m in apps.get_models() if m.__module__.startswith("research_governance.")]
    # A moved model's former labels stay choosable: links from events written before the move use them.
    labels = [(label, m) for m in models for label in (m._meta.label_lower, *getattr(m, "former_labels", ()))]
    return sorted((label, f"{m._meta.verbose_name} ({label})") for label, m in labels)


class QuickSelect(forms.Select):
    """A single-choice select rendered in Python, not one template per option: the event filter
    offers about a hundred choices on a page that must answer in well under 100 ms. Same HTML as
    Django's Select (flat choices only)."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        final = {"name": name, **self.build_attrs(self.attrs, attrs or {})}
        chosen = "" if value is None else str(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) == chosen else "", label) for key, label in self.choices),
        )
        # In Django's order (name first), booleans as bare attributes, as its attrs.html does.
        rendered = format_html_join(
            "",
            "{}",
            (
                (format_html(' {}="{}"', k, v) if v is not True else format_html(" {}", k),)
                for k, v in final.items()
                if v not in (False, None)
            ),
        )
        return format_html("<select{}>{}</select>", rendered, options)


class DateRangeMixin(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(**DATE_WIDGET))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(**DATE_WIDGET))

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class EventFilterForm(StyledFormMixin, DateRangeMixin):
    target_type = forms.ChoiceField(label=_("Object type"), required=False, widget=QuickSelect)
    target_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    actor = forms.CharField(label=_("Actor (email)"), required=False, max_length=254)
    action = forms.ChoiceField(label=_("Action"), required=False, widget=QuickSelect)

    field_order = ["target_type", "target_id", "actor", "action", "date_from", "date_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        target_type, action = self.fields["target_type"], self.fields["action"]
        assert isinstance(target_type, forms.ChoiceField)
        assert isinstance(action, forms.ChoiceField)
        target_type.choices = [("", _("Any")), *_object_types()]
        actions = sorted(((key, f"{label} ({key})") for key, label in ACTION_LABELS.items()), key=lambda c: c[0])
        action.choices = [("", _("Any")), *actions]


class AccessLogFilterForm(StyledFormMixin, DateRangeMixin):
    user = forms.CharField(label=_("User (email)"), required=False, max_length=254)
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *AccessKind.choices], widget=QuickSelect
    )

    field_order = ["user", "kind", "date_from", "date_to"]
