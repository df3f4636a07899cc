"""Submission state changes. Each consults the workflow table, locks the rows it
changes, and records the audit event in the same transaction."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.accounts.selectors import is_secretariat
from research_governance.audit.services import audit_record
from research_governance.protocols import permissions, selectors
from research_governance.protocols.application import MissingItem, build_snapshot
from research_governance.protocols.models import Protocol, ProtocolStatus, ProtocolVersion

from .models import PrescreenRequest, Submission
from .workflow import Actor, ReviewRoute, SubmissionKind, SubmissionStatus, TransitionRefused, transition_for


class IncompleteApplication(Exception):
    """The application lacks items; all of them are listed at once."""

    def __init__(self, missing: list[MissingItem]):
        super().__init__("; ".join(item.message for item in missing))
        self.missing = missing


def actors_for(user: User, protocol: Protocol) -> set[Actor]:
    actors: set[Actor] = set()
    if permissions.can_submit(user, protocol):
        actors.add(Actor.APPLICANT)
    if is_secretariat(user):
        actors.add(Actor.SECRETARIAT)
    return actors


@transaction.atomic
def protocol_submit(*, protocol: Protocol, by: User) -> Submission:
    """Freeze the application as a new ProtocolVersion and open an initial submission."""
    locked = Protocol.objects.select_for_update().select_related("principal_investigator").get(pk=protocol.pk)
    if not permissions.can_view(by, locked):
        raise PermissionDenied
    current = "" if locked.is_editable else locked.status
    transition = transition_for("submit", current, actors_for(by, locked))
    assessment = selectors.protocol_assessment(locked)
    returned = _returned_submission(locked)
    missing = selectors.protocol_missing_items(locked, assessment) + _unanswered_requests(returned)
    if missing:
        raise IncompleteApplication(missing)

    documents = selectors.current_documents(locked)
    number = (locked.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    snapshot = build_snapshot(
        locked,
        team=selectors.team(locked),
        sites=list(locked.sites.order_by("-is_lead", "id")),
        recipients=selectors.recipients(locked),
        documents=documents,
    )
    # The verdict the application was submitted under, with its rulebook version.
    snapshot["assessment"] = assessment.verdict
    version = ProtocolVersion.objects.create(protocol=locked, number=number, created_by=by, snapshot=snapshot)
    version.document_versions.set([document.current_version for document in documents])
    now = timezone.now()
    submission = Submission.objects.create(
        protocol=locked,
        version=version,
        kind=SubmissionKind.INITIAL,
        status=transition.target,
        submitted_by=by,
        submitted_at=now,
        status_changed_at=now,
        previous=returned,
        round=returned.round + 1 if returned else 1,
    )
    locked.status = transition.protocol_status
    locked.last_submitted_at = now
    # Any editor still open on the draft must reload: their next save is a conflict.
    locked.lock_version += 1
    locked.save(update_fields=["status", "last_submitted_at", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=submission,
        protocol=locked,
        data={"version": number, "kind": submission.kind, "documents": len(documents), "round": submission.round},
    )
    return submission


def _returned_submission(protocol: Protocol) -> Submission | None:
    """The submission this one answers, when the secretariat returned the last round."""
    if protocol.status != ProtocolStatus.RETURNED:
        return None
    return (
        Submission.objects.filter(protocol=protocol, status=SubmissionStatus.RETURNED, next_round__isnull=True)
        .order_by("-submitted_at")
        .first()
    )


def _unanswered_requests(returned: Submission | None) -> list[MissingItem]:
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


def _apply(*, submission: Submission, by: User, action: str, **changes: Any) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for(action, locked.status, actors_for(by, protocol))
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "status_changed_at", *changes])
    protocol.status = transition.protocol_status
    protocol.save(update_fields=["status", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        protocol=protocol,
        data={"from": previous, "to": locked.status, "version": locked.version.number, **changes},
    )
    return locked


@transaction.atomic
def submission_withdraw(*, submission: Submission, by: User) -> Submission:
    """The applicant pulls a submission back; the draft becomes editable again."""
    return _apply(submission=submission, by=by, action="withdraw")


@transaction.atomic
def submission_accept(*, submission: Submission, by: User, route: str) -> Submission:
    """The secretariat accepts a submission into review on a route; it can no longer be withdrawn.

    The route is the secretariat's choice; the rules engine only suggests one (JP-ERC-10)."""
    if route not in ReviewRoute.values:
        raise ValidationError(gettext("Choose the review route: expedited or full board."))
    return _apply(submission=submission, by=by, action="accept", route=route)


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
        action="submission.requests_made",
        target=returned,
        protocol=returned.protocol,
        data={"requests": texts},
    )
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
    if not response.strip():
        raise ValidationError(gettext("Write an answer."))
    locked.response = response.strip()
    locked.responded_at = timezone.now()
    locked.responded_by = by
    locked.save(update_fields=["response", "responded_at", "responded_by"])
    audit_record(
        actor=by,
        action="submission.request_answered",
        target=locked.submission,
        protocol=protocol,
        data={"number": locked.number, "response": locked.response},
    )
    return locked


__all__ = [
    "IncompleteApplication",
    "TransitionRefused",
    "protocol_submit",
    "request_answer",
    "submission_accept",
    "submission_return",
    "submission_withdraw",
]
