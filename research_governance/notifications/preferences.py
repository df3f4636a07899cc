"""The kinds of notification, grouped as the preferences page shows them, each with a label.

A person chooses, kind by kind, an email as it happens or the daily digest
(``NotificationPreference``); a kind they have not chosen for follows their general choice
(``User.notification_mode``). Every kind in ``messages.MESSAGES`` belongs to exactly one group
(tests/notifications/test_preferences.py checks it), so a new kind must be placed here.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .messages import MESSAGES


@dataclass(frozen=True)
class KindGroup:
    code: str
    label: Promise
    help: Promise
    kinds: tuple[str, ...]

    def present(self) -> tuple[str, ...]:
        """The kinds of this group that exist (a kind another part may add later is skipped until then)."""
        return tuple(kind for kind in self.kinds if kind in MESSAGES)


GROUPS: tuple[KindGroup, ...] = (
    KindGroup(
        "turn",
        _("Your turn to act"),
        _("Something now waits for you: a step to take, a review, a meeting, a report to handle."),
        (
            "work.waiting",
            "meeting.notice",
            "meeting.changed",
            "submission.received",
            "reviewer.assigned",
            "report.received",
            "report.urgent",
        ),
    ),
    KindGroup(
        "progress",
        _("Progress of your protocols"),
        _("What the secretariat, the committee and the head of the institution decided on your protocols."),
        (
            "submission.returned",
            "submission.accepted",
            "decision.recorded",
            "permission.granted",
            "permission.refused",
            "site_permission.granted",
            "site_permission.refused",
            "approval.suspended",
            "approval.closed",
            "approval.expired",
        ),
    ),
    KindGroup(
        "reminders",
        _("Reminders"),
        _("The daily reminders of what falls due soon or is late."),
        (
            "reminder.work_due",
            "reminder.work_overdue",
            "reminder.review_overdue",
            "reminder.conditions_unanswered",
            "reminder.progress_report_due",
            "reminder.progress_report_overdue",
            "reminder.approval_expiring",
            "reminder.approval_last_day",
            "reminder.agreement_ending",
            "reminder.agreement_last_day",
            "reminder.destruction_due",
            "reminder.destruction_overdue",
        ),
    ),
    KindGroup(
        "data",
        _("Data sharing"),
        _("Data-access requests, data-sharing agreements, and refusals by research subjects."),
        (
            "data_request.submitted",
            "data_request.returned",
            "data_request.decided",
            "data_request.review_assigned",
            "agreement.active",
            "agreement.suspended",
            "agreement.reinstated",
            "agreement.expired",
            "agreement.re_review_needed",
            "destruction.recorded",
            "refusal.received",
            "refusal.to_acknowledge",
            "refusal.subject_identified",
        ),
    ),
    KindGroup(
        "system",
        _("System alerts"),
        _("Problems the system found that an administrator must look at."),
        ("audit.chain_broken",),
    ),
)

# What each kind is about, in a few words, for the preferences page.
KIND_LABELS: dict[str, Promise] = {
    "work.waiting": _("A step waits for you"),
    "meeting.notice": _("Notice of a committee meeting"),
    "meeting.changed": _("A committee meeting moved, or its agenda changed"),
    "submission.received": _("A new submission to pre-screen"),
    "reviewer.assigned": _("You are asked to review"),
    "report.received": _("A report submitted on a protocol"),
    "report.urgent": _("An urgent report (adverse event, serious deviation)"),
    "submission.returned": _("Your submission returned with requests"),
    "submission.accepted": _("Your submission accepted for review"),
    "decision.recorded": _("The committee's decision"),
    "permission.granted": _("Permission granted by the head of the institution"),
    "permission.refused": _("Permission refused by the head of the institution"),
    "site_permission.granted": _("Permission granted at a participating site"),
    "site_permission.refused": _("Permission refused at a participating site"),
    "approval.suspended": _("Approval suspended"),
    "approval.closed": _("Approval closed"),
    "approval.expired": _("Approval expired"),
    "reminder.work_due": _("A step of yours falls due soon"),
    "reminder.work_overdue": _("A step of yours is overdue"),
    "reminder.review_overdue": _("Your review is overdue"),
    "reminder.conditions_unanswered": _("Conditions not yet answered"),
    "reminder.progress_report_due": _("A progress report falls due"),
    "reminder.progress_report_overdue": _("A progress report is overdue"),
    "reminder.approval_expiring": _("An approval ends soon"),
    "reminder.approval_last_day": _("The last day of an approval"),
    "reminder.agreement_ending": _("A data-sharing agreement ends soon"),
    "reminder.agreement_last_day": _("The last day of a data-sharing agreement"),
    "reminder.destruction_due": _("Shared data to destroy"),
    "reminder.destruction_overdue": _("Destruction of shared data not recorded"),
    "data_request.submitted": _("A new data-access request"),
    "data_request.returned": _("Your data-access request returned with requests"),
    "data_request.decided": _("The decision on a data-access request"),
    "data_request.review_assigned": _("You are asked to review a data-access request"),
    "agreement.active": _("A data-sharing agreement in force"),
    "agreement.suspended": _("A data-sharing agreement suspended"),
    "agreement.reinstated": _("A data-sharing agreement reinstated"),
    "agreement.expired": _("A data-sharing agreement ended"),
    "agreement.re_review_needed": _("A data-sharing agreement to review again"),
    "destruction.recorded": _("Destruction of shared data recorded"),
    "refusal.received": _("A refusal or withdrawal by a subject"),
    "refusal.to_acknowledge": _("A refusal to honour as a recipient"),
    "refusal.subject_identified": _("The subject of a refusal identified"),
    "audit.chain_broken": _("The audit trail check failed"),
}


def kind_label(kind: str) -> str | Promise:
    return KIND_LABELS.get(kind, kind)


def grouped_kinds() -> list[tuple[KindGroup, tuple[str, ...]]]:
    """The groups with the kinds that exist, in the page's order; empty groups left out."""
    return [(group, kinds) for group in GROUPS if (kinds := group.present())]
