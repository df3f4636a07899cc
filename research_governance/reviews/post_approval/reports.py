"""What each post-approval submission asks of the investigator, declared as data.

The form, the service's validation and the pages that show a report all read ``REPORT_FIELDS``;
nothing else decides which facts a kind of report carries."""

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from research_governance.reviews.workflow import SubmissionKind

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

# kind -> ((field, required), ...), in the order the form asks for them.
REPORT_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    SubmissionKind.AMENDMENT: (("summary", True), ("minor_change", False)),
    # JP-R-01: the state of the research at the interval the protocol states.
    SubmissionKind.PROGRESS_REPORT: (
        ("period_from", True),
        ("period_to", True),
        ("participants_enrolled", True),
        ("summary", True),
    ),
    # JP-R-02: reported promptly to the head, with the committee's opinion sought.
    SubmissionKind.SAFETY_REPORT: (
        ("occurred_on", True),
        ("became_aware_on", True),
        ("causality", True),
        ("unexpected", False),
        ("summary", True),
        ("actions_taken", True),
    ),
    # JP-R-04: deviations, and serious non-compliance that the head reports on.
    SubmissionKind.DEVIATION: (
        ("occurred_on", True),
        ("became_aware_on", True),
        ("serious", False),
        ("summary", True),
        ("actions_taken", True),
    ),
    # JP-R-07: the end of the research and a summary of its results.
    SubmissionKind.FINAL_REPORT: (
        ("completed_on", True),
        ("participants_enrolled", True),
        ("results_summary", True),
        ("summary", True),
    ),
}

# The summary is asked for in the words of each kind.
SUMMARY_LABELS: "dict[str, StrPromise]" = {
    SubmissionKind.AMENDMENT: _("What changes, and why"),
    SubmissionKind.PROGRESS_REPORT: _("Progress of the research"),
    SubmissionKind.SAFETY_REPORT: _("What happened"),
    SubmissionKind.DEVIATION: _("What happened"),
    SubmissionKind.FINAL_REPORT: _("How the research ended"),
}

_DATES_NOT_IN_FUTURE = ("period_from", "occurred_on", "became_aware_on", "completed_on")


def report_fields(kind: str) -> list[str]:
    return [name for name, _required in REPORT_FIELDS[kind]]


def clean_report(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """The report's values for ``kind``; raises ValidationError keyed by field, all problems at once."""
    if kind not in REPORT_FIELDS:
        raise ValidationError(gettext("Choose what you are reporting."))
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, required in REPORT_FIELDS[kind]:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        if required and value in (None, ""):
            errors.setdefault(name, []).append(gettext("This field is required."))
        values[name] = value
    today = timezone.localdate()
    for name in _DATES_NOT_IN_FUTURE:
        if values.get(name) and values[name] > today:
            errors.setdefault(name, []).append(gettext("The date is in the future."))
    if values.get("period_from") and values.get("period_to") and values["period_from"] > values["period_to"]:
        errors.setdefault("period_to", []).append(gettext("The period ends before it starts."))
    if (
        values.get("occurred_on")
        and values.get("became_aware_on")
        and values["became_aware_on"] < values["occurred_on"]
    ):
        errors.setdefault("became_aware_on", []).append(gettext("This is before the date it occurred."))
    if errors:
        raise ValidationError(errors)
    # Fields the kind does not ask for keep the model's defaults.
    return {name: value for name, value in values.items() if value is not None}


def report_rows(report: Any) -> list[tuple[str, Any, str]]:
    """(label, value, field name) for each field the report's kind asks for, for display."""
    kind = report.submission.kind
    rows = []
    for name in report_fields(kind):
        field = report._meta.get_field(name)
        label = SUMMARY_LABELS[kind] if name == "summary" else field.verbose_name
        display = getattr(report, f"get_{name}_display", None)
        rows.append((capfirst(str(label)), display() if display else getattr(report, name), name))
    return rows
