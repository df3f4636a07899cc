"""Forms of the meeting pages; the rules live in services."""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from research_governance.committees.models import CommitteeMembership
from research_governance.core.forms import StyledFormMixin
from research_governance.reviews.models import AgendaItem, Meeting, Submission, Vote


class MeetingScheduleForm(StyledFormMixin, forms.Form):
    prefix = "meeting"
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)


class MeetingRescheduleForm(MeetingScheduleForm):
    """The meeting's date, time and place, as they are until changed."""

    prefix = "reschedule"

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial", {"scheduled_at": timezone.localtime(meeting.scheduled_at), "location": meeting.location}
        )
        super().__init__(*args, **kwargs)


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


class RemoveForm(StyledFormMixin, forms.Form):
    """One per item that may still be taken off, on the meeting page: its prefix names the item."""

    reason = forms.CharField(
        label=_("Reason for taking it off"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_(
            "For an item that should not be on this agenda (put on by mistake, say). The submission "
            "waits again to be put on an agenda, and the members are told."
        ),
    )

    def __init__(self, *args: Any, item: AgendaItem, **kwargs: Any) -> None:
        super().__init__(*args, prefix=f"remove-{item.pk}", **kwargs)
