"""Submission state changes. Each consults the workflow table, locks the rows it
changes, and records the audit event in the same transaction."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.accounts.selectors import is_secretariat
from research_governance.audit.services import audit_record
from research_governance.protocols import permissions, selectors
from research_governance.protocols.application import MissingItem, build_snapshot
from research_governance.protocols.models import Protocol, ProtocolStatus, ProtocolVersion

from .models import Submission
from .workflow import Actor, SubmissionKind, TransitionRefused, transition_for


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
    current = "" if locked.status == ProtocolStatus.DRAFT else locked.status
    transition = transition_for("submit", current, actors_for(by, locked))
    assessment = selectors.protocol_assessment(locked)
    missing = selectors.protocol_missing_items(locked, assessment)
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
        data={"version": number, "kind": submission.kind, "documents": len(documents)},
    )
    return submission


def _apply(*, submission: Submission, by: User, action: str) -> Submission:
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for(action, locked.status, actors_for(by, protocol))
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    protocol.status = transition.protocol_status
    protocol.save(update_fields=["status", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        protocol=protocol,
        data={"from": previous, "to": locked.status, "version": locked.version.number},
    )
    return locked


@transaction.atomic
def submission_withdraw(*, submission: Submission, by: User) -> Submission:
    """The applicant pulls a submission back; the draft becomes editable again."""
    return _apply(submission=submission, by=by, action="withdraw")


@transaction.atomic
def submission_accept(*, submission: Submission, by: User) -> Submission:
    """The secretariat accepts a submission into review; it can no longer be withdrawn."""
    return _apply(submission=submission, by=by, action="accept")


__all__ = [
    "IncompleteApplication",
    "TransitionRefused",
    "protocol_submit",
    "submission_accept",
    "submission_withdraw",
]
