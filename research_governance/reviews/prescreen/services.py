"""Pre-screening by the secretariat: accept into review on a route, or return with itemised
requests that the applicants answer before they resubmit."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.protocols import permissions
from research_governance.protocols.models import Protocol
from research_governance.reviews.answers import _record_answer
from research_governance.reviews.models import PrescreenRequest, Submission
from research_governance.reviews.participants import _tell_team
from research_governance.reviews.submission.services import _apply
from research_governance.reviews.workflow import ReviewRoute, SubmissionStatus, TransitionRefused


@transaction.atomic
def submission_accept(*, submission: Submission, by: User, route: str) -> Submission:
    """The secretariat accepts a submission into review on a route; it can no longer be withdrawn.

    The route is the secretariat's choice; the rules engine only suggests one (JP-ERC-10)."""
    if route not in ReviewRoute.values:
        raise ValidationError(gettext("Choose the review route: expedited or full board."))
    accepted = _apply(submission=submission, by=by, action="accept", route=route)
    protocol = accepted.protocol
    _tell_team(protocol, "submission.accepted")
    # Who reviews it next: the secretariat assigns or schedules, the chair acknowledges a report.
    announce(protocol_ids=[protocol.pk], by=by)
    return accepted


@transaction.atomic
def submission_return(*, submission: Submission, by: User, requests: list[str]) -> Submission:
    """The secretariat returns a submission with itemised requests; the application becomes
    editable again, and the next submission answers them as a new round."""
    texts = [text.strip() for text in requests if text.strip()]
    if not texts:
        raise ValidationError(gettext("Write at least one request for the investigator."))
    returned = _apply(submission=submission, by=by, action="return")
    PrescreenRequest.objects.bulk_create(
        PrescreenRequest(submission=returned, number=number, text=text) for number, text in enumerate(texts, 1)
    )
    audit_record(
        actor=by,
        action=AuditAction.SUBMISSION_REQUESTS_MADE,
        target=returned,
        protocol=returned.protocol,
        data={"requests": texts},
    )
    # The applicants answer the requests (next_steps.applicant_steps.ANSWER_REQUESTS): told once.
    announce(protocol_ids=[returned.protocol_id], by=by)
    return returned


@transaction.atomic
def request_answer(*, request: PrescreenRequest, by: User, response: str) -> PrescreenRequest:
    """The applicant answers one request of a returned submission (before resubmitting)."""
    locked = PrescreenRequest.objects.select_for_update().select_related("submission").get(pk=request.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.submission.protocol_id)
    if not permissions.can_submit(by, protocol):
        raise PermissionDenied
    if locked.submission.status != SubmissionStatus.RETURNED or hasattr(locked.submission, "next_round"):
        raise TransitionRefused(gettext("These requests were answered in a later round; they cannot change."))
    _record_answer(locked, by=by, response=response)
    audit_record(
        actor=by,
        action=AuditAction.SUBMISSION_REQUEST_ANSWERED,
        target=locked.submission,
        protocol=protocol,
        data={"number": locked.number, "response": locked.response},
    )
    return locked
