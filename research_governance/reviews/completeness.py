"""Whether an application can be submitted: one answer for the protocol page, the "Check and
submit" page and the submit service, so the page never says "complete" while submit is refused.

``protocols.selectors.protocol_missing_items`` knows the application itself (fields, documents,
the consent procedure); the review adds what the committee's correspondence still waits for:
the unanswered requests of the round the secretariat returned, and unanswered conditions."""

from django.db.models import Q
from django.utils.text import Truncator
from django.utils.translation import gettext

from research_governance.protocols import selectors
from research_governance.protocols.application import MissingItem
from research_governance.protocols.assessment import Assessment
from research_governance.protocols.models import Protocol, ProtocolStatus

from .models import Condition, Submission
from .workflow import DecisionOutcome, SubmissionKind, SubmissionStatus


def returned_submission(protocol: Protocol, kind: str = SubmissionKind.INITIAL) -> Submission | None:
    """The submission of ``kind`` this one answers: the last round, returned at pre-screening or
    decided "revise and resubmit", not yet answered by a later round."""
    if kind == SubmissionKind.INITIAL and protocol.status != ProtocolStatus.RETURNED:
        return None
    answered = Q(status=SubmissionStatus.RETURNED) | Q(
        status=SubmissionStatus.DECIDED, decision__outcome=DecisionOutcome.REVISE
    )
    latest = Submission.objects.filter(protocol=protocol, kind=kind).order_by("-submitted_at", "-id").first()
    if latest is None or not Submission.objects.filter(answered, pk=latest.pk).exists():
        return None
    return latest


def unanswered_requests(returned: Submission | None) -> list[MissingItem]:
    """The secretariat's requests of the returned round that have no answer yet."""
    if returned is None:
        return []
    return [
        MissingItem(
            "requests",
            f"request-{request.pk}",
            gettext("Answer the secretariat's request %(number)s: “%(text)s”")
            % {"number": request.number, "text": Truncator(request.text).chars(80)},
        )
        for request in returned.requests.filter(responded_at__isnull=True).order_by("number")
    ]


def unanswered_conditions(protocol: Protocol) -> list[MissingItem]:
    """Conditions of the committee's decisions on this protocol that have no answer yet."""
    rows = (
        Condition.objects.filter(decision__submission__protocol=protocol, responded_at__isnull=True)
        .exclude(decision__submission__status=SubmissionStatus.WITHDRAWN)
        .order_by("decision__decided_at", "number")
    )
    return [
        MissingItem(
            "conditions",
            f"condition-{condition.pk}",
            gettext("Answer the committee's condition %(number)s: “%(text)s”")
            % {"number": condition.number, "text": Truncator(condition.text).chars(80)},
        )
        for condition in rows
    ]


def submission_kind(protocol: Protocol) -> str:
    """What submitting the application now would open."""
    return SubmissionKind.AMENDMENT if protocol.amendment_open else SubmissionKind.INITIAL


def application_missing_items(protocol: Protocol, assessment: Assessment | None = None) -> list[MissingItem]:
    """Everything that keeps the application from being submitted now: what the application lacks,
    the unanswered requests of the returned round and the unanswered conditions."""
    return (
        selectors.protocol_missing_items(protocol, assessment)
        + unanswered_requests(returned_submission(protocol, submission_kind(protocol)))
        + unanswered_conditions(protocol)
    )
