from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import NotificationMode
from research_governance.core.forms import StyledFormMixin

from .preferences import grouped_kinds, kind_label

# A kind's own choice; "" follows the general choice above.
AS_DEFAULT = ""
KIND_CHOICES = [
    (AS_DEFAULT, _("As my general choice")),
    (NotificationMode.IMMEDIATE, _("An email as it happens")),
    (NotificationMode.DIGEST, _("In the daily digest")),
]


def kind_field_name(kind: str) -> str:
    return "kind-" + kind.replace(".", "-").replace("_", "-")


class PreferencesForm(StyledFormMixin, forms.Form):
    """The general choice, then one choice per kind of notification, in the groups of
    ``preferences.GROUPS``."""

    notification_mode = forms.ChoiceField(
        label=_("Emails about your notifications"),
        choices=NotificationMode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Every notification is also listed here in the app, whichever you choose. "
            "Below you can choose otherwise for some kinds."
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind_fields: dict[str, str] = {}
        for _group, kinds in grouped_kinds():
            for kind in kinds:
                name = kind_field_name(kind)
                self.fields[name] = forms.ChoiceField(
                    label=str(kind_label(kind)),
                    choices=KIND_CHOICES,
                    required=False,
                    # Added after the mixin styled the declared fields.
                    widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
                )
                self.kind_fields[kind] = name

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        """For the template: each group with the bound fields of its kinds."""
        return [(group, [self[self.kind_fields[kind]] for kind in kinds]) for group, kinds in grouped_kinds()]

    def kind_choices(self) -> dict[str, str]:
        """The cleaned choice of every kind shown ({kind: "" | "immediate" | "digest"})."""
        return {kind: self.cleaned_data.get(name) or AS_DEFAULT for kind, name in self.kind_fields.items()}

    @classmethod
    def initial_for(cls, mode: str, chosen: dict[str, str]) -> dict[str, str]:
        initial = {"notification_mode": mode}
        for kind, choice in chosen.items():
            initial[kind_field_name(kind)] = choice
        return initial
