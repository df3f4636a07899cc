"""After approval: opening an amendment, and the reports (progress, adverse event, deviation, final)."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import Role, User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import in_each_language, person
from research_governance.notifications.services import notify
from research_governance.protocols import access_services, permissions
from research_governance.protocols.models import Protocol
from research_governance.reviews.completeness import returned_submission, unanswered_requests
from research_governance.reviews.models import Report, Submission
from research_governance.reviews.participants import _about, _link, _officers_of, actors_for
from research_governance.reviews.post_approval.approval_services import _approval_allows
from research_governance.reviews.post_approval.reports import clean_report
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.submission.services import IncompleteApplication
from research_governance.reviews.workflow import (
    KIND_RULES,
    REPORT_KINDS,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    transition_for,
)


@transaction.atomic
def amendment_start(*, protocol: Protocol, by: User) -> Protocol:
    """Open the approved application for an amendment. The approval and the version in force stay
    as they are until the amendment is approved (and, under JP, permitted)."""
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not permissions.can_submit(by, locked):
        raise PermissionDenied
    if locked.amendment_open:
        raise TransitionRefused(gettext("An amendment is already being prepared."))
    _approval_allows(SubmissionKind.AMENDMENT, current_approval(locked))
    if _open_submissions(locked, SubmissionKind.AMENDMENT).exists():
        raise TransitionRefused(gettext("An amendment is already under review; wait for its decision."))
    locked.amendment_open = True
    locked.lock_version += 1
    locked.save(update_fields=["amendment_open", "lock_version", "updated_at"])
    access_services.restamp_dashboards(protocol=locked)
    audit_record(actor=by, action=AuditAction.AMENDMENT_STARTED, target=locked, protocol=locked, data={})
    announce(protocol_ids=[locked.pk], by=by)
    return locked


def _open_submissions(protocol: Protocol, kind: str) -> QuerySet[Submission]:
    """Submissions of ``kind`` not finished: waiting, in review, or decided and awaiting permission."""
    awaiting = Q(status=SubmissionStatus.DECIDED, decision__needs_permission=True, decision__permission__isnull=True)
    return Submission.objects.filter(
        Q(status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.ACCEPTED]) | awaiting, protocol=protocol, kind=kind
    )


@transaction.atomic
def report_submit(*, protocol: Protocol, by: User, kind: str, data: dict[str, Any]) -> Submission:
    """Submit a post-approval report: progress (JP-R-01), serious adverse event (JP-R-02),
    deviation or non-compliance (JP-R-04), or the final report (JP-R-07).

    It refers to the version in force. A serious adverse event is flagged urgent and the chair and
    the head of institution are told at once, with the time it was reported (JP-R-02)."""
    if kind not in REPORT_KINDS:
        raise ValidationError(gettext("Choose what you are reporting."))
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not permissions.can_submit(by, locked):
        raise PermissionDenied
    rules = KIND_RULES[kind]
    transition = transition_for("submit", "", actors_for(by, locked))
    approval = current_approval(locked)
    _approval_allows(kind, approval)
    assert approval is not None  # _approval_allows refuses a report without an approval
    if not rules.concurrent and _open_submissions(locked, kind).exists():
        raise TransitionRefused(
            gettext("A %(kind)s is already with the committee; wait for its decision.")
            % {"kind": SubmissionKind(kind).label.lower()}
        )
    values = clean_report(kind, data)
    returned = returned_submission(locked, kind)
    missing = unanswered_requests(returned)
    if missing:
        raise IncompleteApplication(missing)
    now = timezone.now()
    submission = Submission.objects.create(
        protocol=locked,
        version=approval.version,
        kind=kind,
        status=transition.target,
        urgent=rules.urgent,
        submitted_by=by,
        submitted_at=now,
        status_changed_at=now,
        previous=returned,
        round=returned.round + 1 if returned else 1,
    )
    Report.objects.create(submission=submission, **values)
    access_services.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action=AuditAction.REPORT_SUBMITTED,
        target=submission,
        protocol=locked,
        data={
            "kind": kind,
            "round": submission.round,
            "approval": approval.reference,
            "version": approval.version.number,
            "urgent": submission.urgent,
            **{name: str(value) if isinstance(value, date) else value for name, value in values.items()},
        },
    )
    params = {
        **_about(locked),
        "applicant": person(by),
        "kind": in_each_language(submission.get_kind_display()),
        "reported_at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M %Z"),
    }
    # The secretariat pre-screens it (next_steps.submission_steps.PRESCREEN): told by the hand-off.
    # JP-R-01/02/04/07: reports go to the head of institution for information; a serious adverse
    # event also to the chair, at once and flagged urgent (JP-R-02).
    officers = _officers_of(locked, Role.CHAIR, Role.HEAD) if rules.urgent else _officers_of(locked, Role.HEAD)
    notify(
        recipients=officers,
        kind="report.urgent" if rules.urgent else "report.received",
        params=params,
        link=_link(locked),
        protocol=locked,
    )
    announce(protocol_ids=[locked.pk], by=by)
    return submission
