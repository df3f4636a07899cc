"""Forms of the committee page. They parse what was typed; the rules a seat must meet
(one seat per person, one chair, category and sex for members) live in services."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.models import Submission

from .models import AgendaItem, Committee, CommitteeMembership, Vote

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


# --- meetings -------------------------------------------------------------------------------


class MeetingScheduleForm(StyledFormMixin, forms.Form):
    prefix = "meeting"
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)


class AgendaAddForm(StyledFormMixin, forms.Form):
    prefix = "agenda"
    submission: "forms.ModelChoiceField[Submission]" = forms.ModelChoiceField(label=_("Submission"), queryset=None)

    def __init__(self, *args: Any, candidates: QuerySet[Submission], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["submission"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = candidates


class _SeatsWithRoleField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CommitteeMembership) -> str:
        return f"{obj.user.display_name} ({obj.get_role_display()})"


class _SeatField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CommitteeMembership) -> str:
        return obj.user.display_name


class AttendanceForm(StyledFormMixin, forms.Form):
    prefix = "attendance"
    present = _SeatsWithRoleField(
        label=_("Present"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, seats: list[CommitteeMembership], present_ids: list[int], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"present": present_ids})
        super().__init__(*args, **kwargs)
        field = self.fields["present"]
        assert isinstance(field, _SeatsWithRoleField)
        field.queryset = CommitteeMembership.objects.filter(pk__in=[seat.pk for seat in seats]).select_related("user")


class RecusalForm(StyledFormMixin, forms.Form):
    prefix = "recusal"
    membership = _SeatField(label=_("Member"), queryset=None)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, seats: list[CommitteeMembership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["membership"]
        assert isinstance(field, _SeatField)
        field.queryset = CommitteeMembership.objects.filter(pk__in=[seat.pk for seat in seats]).select_related("user")


class VoteForm(StyledFormMixin, forms.Form):
    prefix = "vote"
    choice = forms.ChoiceField(label=_("Your vote"), choices=Vote.Choice.choices, widget=forms.RadioSelect)


class DecideForm(StyledFormMixin, forms.Form):
    prefix = "decide"
    outcome = forms.ChoiceField(label=_("Outcome"), choices=AgendaItem.Outcome.choices)
    reasons = forms.CharField(label=_("Reasons"), widget=forms.Textarea(attrs={"rows": 4}))
    conditions = forms.CharField(
        label=_("Conditions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One condition per line; needed for an approval with conditions."),
    )

    def __init__(self, *args: Any, outcomes: tuple[str, ...] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if outcomes is not None:
            # Only the decisions open for the item's kind of submission (reviews.workflow.KIND_RULES).
            field = self.fields["outcome"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [(value, AgendaItem.Outcome(value).label) for value in outcomes]

    def clean_conditions(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["conditions"].splitlines() if line.strip()]


class MinutesForm(StyledFormMixin, forms.Form):
    prefix = "minutes"
    narrative = forms.CharField(
        label=_("Narrative"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Discussion and anything else the minutes should say. "
            "Attendance, votes and decisions are added from the record."
        ),
    )


class DeferForm(StyledFormMixin, forms.Form):
    """One per pending item on the meeting page and the closing page, so its prefix names the item."""

    RETURN_TO = [("detail", "detail"), ("close", "close")]

    reason = forms.CharField(
        label=_("Reason for deferral"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The submission stays accepted and can go on a later meeting's agenda."),
    )
    return_to = forms.ChoiceField(choices=RETURN_TO, initial="detail", widget=forms.HiddenInput)

    def __init__(self, *args: Any, item: AgendaItem, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"defer-{item.pk}", **kwargs)
