"""Forms of the committee page. They parse what was typed; the rules a seat must meet
(one seat per person, one chair, category and sex for members) live in services."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin

from .models import Committee, CommitteeMembership

DATE_WIDGET: dict[str, Any] = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}


def _date_field(label: Any, *, required: bool, help_text: Any = "", initial: Any = None) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        initial=initial,
        widget=forms.DateInput(**DATE_WIDGET),
    )


class SeatForm(forms.Form):
    """What a seat says about the person in it (JP-ERC-01..04) and the term."""

    role = forms.ChoiceField(label=_("Role"), choices=CommitteeMembership.Role.choices)
    category = forms.ChoiceField(
        label=_("Category (JP-ERC-01)"),
        choices=[("", _("— (secretariat only)")), *CommitteeMembership.Category.choices],
        required=False,
        help_text=_(
            "Needed for a chair, vice-chair or member. Each member counts toward one category only (JP-ERC-02)."
        ),
    )
    sex = forms.ChoiceField(
        label=_("Sex (JP-ERC-04)"),
        choices=[("", _("— (secretariat only)")), *CommitteeMembership.Sex.choices],
        required=False,
        help_text=_("Needed for a chair, vice-chair or member."),
    )
    is_external = forms.BooleanField(
        label=_("External: not affiliated with the institution (JP-ERC-03)"), required=False
    )
    valid_from = _date_field(_("Term from"), required=True, initial=timezone.localdate)
    valid_to = _date_field(
        _("Term to"), required=False, help_text=_("The last day of the term. Leave empty if it has no end date.")
    )


class MembershipAddForm(StyledFormMixin, SeatForm):
    prefix = "add"
    email = forms.EmailField(label=_("Email address"))

    field_order = ["email", "role", "category", "sex", "is_external", "valid_from", "valid_to"]

    def clean_email(self) -> object:
        email = self.cleaned_data["email"].strip().lower()
        user = get_user_model().objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise forms.ValidationError(
                _("No active account has this email address. Ask an administrator to create one."), code="unknown"
            )
        self.cleaned_data["user"] = user
        return email


class MembershipEditForm(StyledFormMixin, SeatForm):
    prefix = "edit"

    @classmethod
    def for_membership(cls, membership: CommitteeMembership, data: Any = None) -> "MembershipEditForm":
        initial = {name: getattr(membership, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class MembershipEndForm(StyledFormMixin, forms.Form):
    """One per row of the roster, so its prefix names the seat."""

    valid_to = _date_field(
        _("Last day"),
        required=True,
        initial=timezone.localdate,
        help_text=_("The member sits on the committee until the end of this day."),
    )

    def __init__(self, *args: Any, membership: CommitteeMembership, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"end-{membership.pk}", **kwargs)


class CommitteeSettingsForm(StyledFormMixin, forms.Form):
    prefix = "settings"
    decision_rule = forms.ChoiceField(
        label=_("Decision rule"),
        choices=Committee.DecisionRule.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "JP-ERC-09 (UNVERIFIED): decisions are made by consensus where possible; the committee's own "
            "rules state the voting rule when consensus fails. This rule has not been verified against the "
            "guideline's text, so the committee sets it here: check it against the committee's own rules."
        ),
    )
    rule_set = forms.ChoiceField(
        label=_("Rule set"),
        choices=Committee.RuleSet.choices,
        help_text=_("The rules the roster and the studies are checked against. Only an administrator can change it."),
    )

    def __init__(self, *args: Any, committee: Committee, can_change_rule_set: bool, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decision_rule": committee.decision_rule, "rule_set": committee.rule_set})
        super().__init__(*args, **kwargs)
        if not can_change_rule_set:
            del self.fields["rule_set"]
