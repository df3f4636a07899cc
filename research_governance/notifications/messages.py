"""What each kind of notification says, in one place.

A notification stores its ``kind`` and JSON ``params``; the text is rendered when it is shown
or sent, in the reader's language. So the wording can be corrected or translated later and
old notifications read the new way, and one row serves a Japanese and an English reader alike.

Placeholders are named (``%(reference)s``) so translators may reorder them. A parameter whose
value is a mapping of language code to text (see ``bilingual``, ``person``, ``in_each_language``)
is shown in the reader's language; any other value is shown as stored.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass(frozen=True)
class Message:
    subject: Promise
    body: Promise

    @property
    def required_params(self) -> frozenset[str]:
        # Read from the English msgids (override(None) turns translation off); the catalogue test
        # checks that every translation keeps every placeholder.
        with translation.override(None):
            source = f"{self.subject}\n{self.body}"
        return frozenset(_PLACEHOLDER.findall(source))


MESSAGES: dict[str, Message] = {
    # To whoever a step now waits for (notifications.handoff): the step's words come from the
    # workflow's declaration, stored in every language.
    "work.waiting": Message(
        subject=_("Your turn: %(step)s (%(reference)s)"),
        body=_("%(step)s%(detail)s: %(reference)s %(title)s. %(due)s"),
    ),
    # To every member sitting on a meeting, when it is scheduled or changed (reviews.meeting.notices).
    "meeting.notice": Message(
        subject=_("Meeting notice: %(committee)s, %(when)s"),
        body=_("The %(committee)s meets on %(when)s at %(place)s.\n\nAgenda:\n%(agenda)s"),
    ),
    # To the same members when the meeting changes after its notice: what changed (it was moved,
    # an item was taken off or deferred), then the notice as it now stands.
    "meeting.changed": Message(
        subject=_("Meeting changed: %(committee)s, %(when)s"),
        body=_("%(change)s\n\nThe %(committee)s meets on %(when)s at %(place)s.\n\nAgenda:\n%(agenda)s"),
    ),
    # To the secretariat.
    "submission.received": Message(
        subject=_("New submission %(reference)s: %(title)s"),
        body=_("%(applicant)s submitted %(reference)s: %(title)s. Please pre-screen it."),
    ),
    # To the applicant (the PI and the team members who may edit).
    "submission.returned": Message(
        subject=_("Submission %(reference)s returned with requests"),
        body=_(
            "The secretariat returned %(reference)s: %(title)s with requests for changes. "
            "Please revise the application and submit it again."
        ),
    ),
    "submission.accepted": Message(
        subject=_("Submission %(reference)s accepted for review"),
        body=_(
            "The secretariat accepted %(reference)s: %(title)s for review. "
            "You will be notified when the committee has decided."
        ),
    ),
    # To a reviewer.
    "reviewer.assigned": Message(
        subject=_("Review requested: %(reference)s, due %(due_date)s"),
        body=_(
            "You have been assigned to review %(reference)s: %(title)s. "
            "Please submit your review by %(due_date)s. "
            "If you have a conflict of interest, declare it before reading the documents."
        ),
    ),
    # To the applicant.
    "decision.recorded": Message(
        subject=_("Committee decision on %(reference)s: %(decision)s"),
        body=_(
            "The committee recorded its decision on %(reference)s: %(title)s: %(decision)s. "
            "Open the application to read the decision and any conditions."
        ),
    ),
    "permission.granted": Message(
        subject=_("Permission granted for %(reference)s"),
        body=_(
            "The head of the institution permitted %(reference)s: %(title)s. "
            "The research may be conducted as approved, within the approval's period and conditions."
        ),
    ),
    "approval.suspended": Message(
        subject=_("Approval of %(reference)s suspended"),
        body=_(
            "The committee suspended the approval of %(reference)s: %(title)s. The research must not continue "
            "until the approval is restored. Open the application to read the reasons."
        ),
    ),
    "approval.closed": Message(
        subject=_("Approval of %(reference)s closed"),
        body=_(
            "The committee closed the approval of %(reference)s: %(title)s. Open the application to read the reasons."
        ),
    ),
    # To the secretariat: a post-approval report.
    "report.received": Message(
        subject=_("%(kind)s for %(reference)s"),
        body=_(
            "%(applicant)s submitted a report on %(reference)s: %(title)s (%(kind)s) at %(reported_at)s. "
            "Please pre-screen it."
        ),
    ),
    # To the chair and the head of institution at once (JP-R-02).
    "report.urgent": Message(
        subject=_("URGENT: %(kind)s reported for %(reference)s"),
        body=_(
            "%(applicant)s reported a %(kind)s on %(reference)s: %(title)s at %(reported_at)s. "
            "The committee's opinion is needed promptly (JP-R-02)."
        ),
    ),
    "site_permission.granted": Message(
        subject=_("Permission granted for %(reference)s at %(site)s"),
        body=_(
            "The head of %(site)s permitted %(reference)s: %(title)s at that site, after the central review "
            "(JP-ERC-12)."
        ),
    ),
    "site_permission.refused": Message(
        subject=_("Permission refused for %(reference)s at %(site)s"),
        body=_(
            "The head of %(site)s did not permit %(reference)s: %(title)s at that site. "
            "Open the application to read the reasons."
        ),
    ),
    "permission.refused": Message(
        subject=_("Permission refused for %(reference)s"),
        body=_(
            "The head of the institution did not permit %(reference)s: %(title)s. "
            "Open the application to read the reasons."
        ),
    ),
    # Reminders from the daily scan (research_governance.reminders). To the team.
    "approval.expired": Message(
        subject=_("Approval of %(reference)s expired"),
        body=_(
            "The approval of %(reference)s: %(title)s was valid until %(valid_until)s and has expired. "
            "The research must not continue without a new approval."
        ),
    ),
    "reminder.approval_expiring": Message(
        subject=_("Approval of %(reference)s ends on %(valid_until)s"),
        body=_(
            "The approval of %(reference)s: %(title)s is valid until %(valid_until)s (%(days)s days from now). "
            "To continue the research after that day, apply for a new approval in good time; "
            "if the research has ended, submit the final report (JP-R-07)."
        ),
    ),
    "reminder.approval_last_day": Message(
        subject=_("Approval of %(reference)s ends today"),
        body=_(
            "Today, %(valid_until)s, is the last day of the approval of %(reference)s: %(title)s. "
            "From tomorrow the research must not continue without a new approval."
        ),
    ),
    "reminder.progress_report_due": Message(
        subject=_("Progress report for %(reference)s due on %(due_date)s"),
        body=_(
            "The next progress report on %(reference)s: %(title)s is due on %(due_date)s (JP-R-01). "
            "Submit it from the application's page."
        ),
    ),
    # To the team and the secretariat.
    "reminder.progress_report_overdue": Message(
        subject=_("Progress report for %(reference)s overdue"),
        body=_(
            "The progress report on %(reference)s: %(title)s was due on %(due_date)s and has not been "
            "submitted (JP-R-01). Please submit it without delay."
        ),
    ),
    "reminder.conditions_unanswered": Message(
        subject=_("Conditions on %(reference)s not yet answered"),
        body=_(
            "The committee's decision of %(decided_on)s on %(reference)s: %(title)s set conditions; "
            "conditions without an answer: %(count)s. Please answer them from the application's page."
        ),
    ),
    # To the reviewer.
    "reminder.review_overdue": Message(
        subject=_("Review of %(reference)s overdue since %(due_date)s"),
        body=_(
            "Your review of %(reference)s: %(title)s was due on %(due_date)s. "
            "Please submit it, or tell the secretariat if you cannot."
        ),
    ),
    # To the actors of any pending step (core.work) that falls due soon or is overdue.
    "reminder.work_due": Message(
        subject=_("Due on %(due_date)s: %(step)s (%(reference)s)"),
        body=_("%(step)s%(detail)s: %(reference)s %(title)s is due on %(due_date)s."),
    ),
    "reminder.work_overdue": Message(
        subject=_("Overdue since %(due_date)s: %(step)s (%(reference)s)"),
        body=_(
            "%(step)s%(detail)s: %(reference)s %(title)s was due on %(due_date)s. "
            "Please take this step, or tell the secretariat if you cannot."
        ),
    ),
    # Data sharing: the requester's side (agreements.services).
    "data_request.submitted": Message(
        subject=_("New data-access request %(reference)s: %(title)s"),
        body=_("%(requester)s submitted the data-access request %(reference)s: %(title)s. Please pre-screen it."),
    ),
    # Data sharing: the committee, agreements and grants (agreements.dac_services, agreement_services).
    # To the requester (and the team, for the decision).
    "data_request.returned": Message(
        subject=_("Data-access request %(reference)s returned with requests"),
        body=_(
            "The data access committee's secretariat returned %(reference)s: %(title)s with requests for "
            "changes. Please edit the request and submit it again."
        ),
    ),
    "data_request.decided": Message(
        subject=_("Decision on data-access request %(reference)s: %(decision)s"),
        body=_(
            "The data access committee decided on %(reference)s: %(title)s: %(decision)s. "
            "Open the request to read the reasons and, after an approval, to sign the agreement."
        ),
    ),
    # To the committee member.
    "data_request.review_assigned": Message(
        subject=_("Please review data-access request %(reference)s by %(due_date)s"),
        body=_(
            "You are assigned to review the data-access request %(reference)s: %(title)s, due %(due_date)s. "
            "If you have a conflict of interest with it, declare it on the request's page."
        ),
    ),
    # To both parties.
    "agreement.active": Message(
        subject=_("The data-sharing agreement for %(reference)s is in force"),
        body=_(
            "Both parties have signed the data-sharing agreement for %(reference)s: %(title)s. "
            "People with access so far: %(count)s. Each team member gets access once they accept the terms."
        ),
    ),
    # Data sharing: cascade, destruction and provision records (agreements.cascade_services,
    # agreements.records_services).
    # To the requesting team, the committee's officers and the providing PIs.
    "agreement.suspended": Message(
        subject=_("Data-sharing agreement %(reference)s suspended"),
        body=_(
            "The ethics approval %(approval)s, on which the data-sharing agreement %(reference)s: %(title)s "
            "depends, is now %(approval_status)s. The agreement is suspended and every access granted under "
            "it has ended. The data must not be used until the data access committee reinstates it."
        ),
    ),
    "agreement.reinstated": Message(
        subject=_("Data-sharing agreement %(reference)s reinstated"),
        body=_(
            "The data access committee reinstated the data-sharing agreement %(reference)s: %(title)s. "
            "Team members who accepted its terms have access again until the end of its term."
        ),
    ),
    # To the requesting team and the committee's officers.
    "agreement.expired": Message(
        subject=_("Data-sharing agreement %(reference)s has ended"),
        body=_(
            "The term of the data-sharing agreement %(reference)s: %(title)s ended on %(term_end)s and "
            "access has ended. Destroy the data by %(destruction_due)s and record the destruction on the "
            "request's page."
        ),
    ),
    # To the committee's officers.
    "agreement.re_review_needed": Message(
        subject=_("Data-sharing agreement %(reference)s needs re-review"),
        body=_(
            "What the subjects consented to has changed for the data shared under %(reference)s: %(title)s. "
            "%(reason)s Please review the agreement again."
        ),
    ),
    "destruction.recorded": Message(
        subject=_("Destruction recorded for %(reference)s"),
        body=_(
            "%(recorder)s recorded that the data shared under %(reference)s: %(title)s were destroyed on "
            "%(destroyed_on)s."
        ),
    ),
    # Reminders: to the requesting team (and, once overdue, the committee's officers).
    "reminder.agreement_ending": Message(
        subject=_("Data-sharing agreement %(reference)s ends on %(term_end)s"),
        body=_(
            "Access under the data-sharing agreement %(reference)s: %(title)s ends on %(term_end)s "
            "(in %(days)s days). Start a renewal from the request's page if the work continues."
        ),
    ),
    "reminder.agreement_last_day": Message(
        subject=_("Data-sharing agreement %(reference)s ends today"),
        body=_(
            "Today, %(term_end)s, is the last day of access under the data-sharing agreement "
            "%(reference)s: %(title)s. Destroy the data by %(destruction_due)s and record it."
        ),
    ),
    "reminder.destruction_due": Message(
        subject=_("Record the destruction of the data of %(reference)s"),
        body=_(
            "The data-sharing agreement %(reference)s: %(title)s has ended. Destroy the data by "
            "%(destruction_due)s and record the destruction on the request's page."
        ),
    ),
    "reminder.destruction_overdue": Message(
        subject=_("Destruction of the data of %(reference)s not recorded"),
        body=_(
            "The data shared under %(reference)s: %(title)s were to be destroyed by %(destruction_due)s, "
            "and no destruction has been recorded. Please record it without delay."
        ),
    ),
    # Data sharing: refusals and withdrawals (agreements.refusal_services).
    # To the PI and the study team: act without delay (JP-IC-11).
    "refusal.received": Message(
        subject=_("%(kind)s received for %(reference)s"),
        body=_(
            "Received for %(reference)s: %(title)s: %(kind)s. Use and provision of the subject's data "
            "must stop without delay, or the PI records why it cannot (JP-IC-11). Recipients told: %(count)s."
        ),
    ),
    # To the recipients of every agreement covering the study: the subject code is on the page.
    "refusal.to_acknowledge": Message(
        subject=_("%(kind)s to honour under %(reference)s"),
        body=_(
            "A subject of the data you receive under %(reference)s: %(title)s made this request: %(kind)s. "
            "Stop using their data and acknowledge that you were told."
        ),
    ),
    "refusal.subject_identified": Message(
        subject=_("Subject of a refusal identified under %(reference)s"),
        body=_(
            "The study team identified the subject of a refusal under %(reference)s: %(title)s. "
            "The subject code is on your list of refusals to acknowledge; stop using their data."
        ),
    ),
    # To every administrator, by the daily audit trail check (SEC-05).
    "audit.chain_broken": Message(
        subject=_("Audit trail check failed at event %(event_id)s"),
        body=_(
            "The daily check of the audit trail found that event %(event_id)s (%(action)s, %(occurred_at)s) "
            "does not verify: %(reason)s. The audit trail may have been changed outside the application. "
            "Run manage.py verify_audit and follow the audit trail maintenance procedure of the deployment guide."
        ),
    ),
}


def bilingual(ja: str, en: str) -> dict[str, str]:
    """A parameter shown in Japanese or English, whichever the reader uses (falling back to the other)."""
    return {"ja": ja, "en": en}


def person(user: Any) -> dict[str, str]:
    """A person's name as a parameter: the Japanese name for Japanese readers, the Latin one otherwise."""
    return bilingual(user.name_ja or user.email, user.name_latin or user.email)


def in_each_language(text: str | Promise) -> dict[str, str]:
    """A translatable label (a choice label, say) evaluated now in every language, for storing as a parameter."""
    rendered: dict[str, str] = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = str(text)
    return rendered


def clean_params(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters as they will be stored (dates become ISO strings), checked against the kind.

    Raises ValueError for an unknown kind, a missing placeholder or a value JSON cannot hold:
    these are programming errors, better found when notifying than when a reader opens the list.
    """
    message = MESSAGES.get(kind)
    if message is None:
        raise ValueError(f"Unknown notification kind: {kind!r}")
    missing = message.required_params - set(params)
    if missing:
        raise ValueError(f"Notification {kind!r} needs the parameters: {', '.join(sorted(missing))}")
    try:
        return json.loads(json.dumps(dict(params), cls=DjangoJSONEncoder))
    except TypeError as error:
        raise ValueError(f"Notification {kind!r} parameters cannot be stored as JSON: {error}") from error


def _localize(value: Any) -> Any:
    if isinstance(value, list):
        # A list (a meeting's agenda) reads one entry a line, each in the reader's language.
        return "\n".join(str(_localize(entry)) for entry in value)
    if isinstance(value, dict) and value and set(value) <= {code for code, _name in settings.LANGUAGES}:
        language = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
        order = [language, "en", "ja", *value]
        return next((value[code] for code in order if value.get(code)), "")
    return value


def _format(template: Promise, params: Mapping[str, Any]) -> str:
    text = str(template)
    try:
        return text % {key: _localize(value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError):
        # A row written before a wording change must still display: show the text unfilled.
        return text


def render_subject(kind: str, params: Mapping[str, Any]) -> str:
    """The subject in the active language; one line, so it is safe as an email header."""
    message = MESSAGES.get(kind)
    if message is None:
        return kind
    return " ".join(_format(message.subject, params).split())


def render_body(kind: str, params: Mapping[str, Any]) -> str:
    message = MESSAGES.get(kind)
    if message is None:
        return ""
    return _format(message.body, params)
