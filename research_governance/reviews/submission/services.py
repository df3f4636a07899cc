"""Submitting an application (initial or amendment) and withdrawing a submission. Each consults
the workflow table, locks the rows it changes, and records the audit event in the same transaction."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.protocols import access_services, permissions, selectors
from research_governance.protocols.application import MissingItem, build_snapshot
from research_governance.protocols.models import Protocol, ProtocolVersion
from research_governance.reviews.completeness import (
    application_missing_items,
    returned_submission,
)
from research_governance.reviews.models import Report, Submission
from research_governance.reviews.participants import actors_for
from research_governance.reviews.post_approval.approval_services import _approval_allows
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.workflow import (
    KIND_RULES,
    SubmissionKind,
    transition_for,
)


class IncompleteApplication(Exception):
    """The application lacks items; all of them are listed at once."""

    def __init__(self, missing: list[MissingItem]):
        super().__init__("; ".join(item.message for item in missing))
        self.missing = missing


@transaction.atomic
def protocol_submit(
    *, protocol: Protocol, by: User, changes_summary: str = "", minor_change: bool = False
) -> Submission:
    """Freeze the application as a new ProtocolVersion and open a submission: the initial
    application, or an amendment of an approved one (with the summary of its changes)."""
    locked = Protocol.objects.select_for_update().select_related("principal_investigator").get(pk=protocol.pk)
    if not permissions.can_view(by, locked):
        raise PermissionDenied
    kind = SubmissionKind.AMENDMENT if locked.amendment_open else SubmissionKind.INITIAL
    rules = KIND_RULES[kind]
    current = "" if locked.is_editable else locked.status
    transition = transition_for("submit", current, actors_for(by, locked))
    approval = current_approval(locked) if kind == SubmissionKind.AMENDMENT else None
    if kind == SubmissionKind.AMENDMENT:
        _approval_allows(kind, approval)
    assessment = selectors.protocol_assessment(locked)
    returned = returned_submission(locked, kind)
    # The same check the protocol page and "Check and submit" show (reviews.completeness).
    missing = application_missing_items(locked, assessment)
    if kind == SubmissionKind.AMENDMENT and not changes_summary.strip():
        missing.append(MissingItem("amendment", "id_changes_summary", gettext("Summarise what the amendment changes.")))
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
    # current_documents has only documents with a version; the condition says so to the type checker.
    version.document_versions.set(
        [document.current_version for document in documents if document.current_version is not None]
    )
    now = timezone.now()
    submission = Submission.objects.create(
        protocol=locked,
        version=version,
        kind=kind,
        status=transition.target,
        submitted_by=by,
        submitted_at=now,
        status_changed_at=now,
        previous=returned,
        round=returned.round + 1 if returned else 1,
    )
    if kind == SubmissionKind.AMENDMENT:
        Report.objects.create(submission=submission, summary=changes_summary.strip(), minor_change=minor_change)
    if rules.moves_protocol:
        locked.status = transition.protocol_status
    locked.amendment_open = False
    locked.last_submitted_at = now
    # Any editor still open on the draft must reload: their next save is a conflict.
    locked.lock_version += 1
    locked.save(update_fields=["status", "amendment_open", "last_submitted_at", "lock_version", "updated_at"])
    access_services.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=submission,
        protocol=locked,
        data={
            "version": number,
            "kind": submission.kind,
            "documents": len(documents),
            "round": submission.round,
            **({"changes_summary": changes_summary.strip(), "minor_change": minor_change} if approval else {}),
        },
    )
    # The secretariat now pre-screens it (reviews.next_steps): told once, with a link.
    announce(protocol_ids=[locked.pk], by=by)
    return submission


def _reopen_amendment(protocol: Protocol) -> None:
    """The amendment goes back to the investigators (withdrawn, returned, or to be revised); the
    approval and the version in force stay as they are. Open editors must reload."""
    protocol.amendment_open = True
    protocol.lock_version += 1


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
    if KIND_RULES[locked.kind].moves_protocol:
        protocol.status = transition.protocol_status
    elif locked.kind == SubmissionKind.AMENDMENT and action in {"withdraw", "return"}:
        _reopen_amendment(protocol)
    protocol.save(update_fields=["status", "amendment_open", "lock_version", "updated_at"])
    access_services.restamp_dashboards(protocol=protocol)
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
    withdrawn = _apply(submission=submission, by=by, action="withdraw")
    announce(protocol_ids=[withdrawn.protocol_id], by=by)
    return withdrawn
