from django import forms
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin


class HeadPermissionForm(StyledFormMixin, forms.Form):
    prefix = "permission"
    decision = forms.ChoiceField(
        label=_("Your decision"),
        choices=[("permit", _("Permit the research")), ("refuse", _("Refuse permission"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you refuse."),
    )

    def clean(self) -> dict[str, object]:
        cleaned = super().clean() or {}
        if cleaned.get("decision") == "refuse" and not (cleaned.get("reasons") or "").strip():
            self.add_error("reasons", _("Give the reasons for refusing permission."))
        return cleaned
