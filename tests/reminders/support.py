"""Approved research built directly in the tables (the review workflow itself is tested in
tests/reviews): a protocol, its version, a decided submission, the decision and the approval."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.protocols.models import Protocol, ProtocolStatus, ProtocolVersion
from research_governance.protocols.services import protocol_create
from research_governance.reviews.models import Approval, Decision, Report, Submission
from research_governance.reviews.workflow import (
    ApprovalStatus,
    DecisionOutcome,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
)

# A day after every test user's role began (roles start on the real today).
TODAY = date(2027, 3, 10)


def at(day: date, hour: int = 6) -> datetime:
    """That day at ``hour`` in the project's time zone: when the daily scan runs."""
    return timezone.make_aware(datetime.combine(day, time(hour)))


def approved(
    pi: User, *, valid_until: date, valid_from: date | None = None, interval_months: int = 12, title: str = "Study"
) -> Approval:
    """An active approval; by default it began 30 days before TODAY, so no progress report is near."""
    protocol = protocol_create(by=pi, title_ja=f"研究 {title}", title_en=title)
    Protocol.objects.filter(pk=protocol.pk).update(
        status=ProtocolStatus.APPROVED, progress_report_interval_months=interval_months
    )
    version = ProtocolVersion.objects.create(protocol=protocol, number=1, snapshot={}, created_by=pi)
    decided_at = at(TODAY - timedelta(days=40))
    submission = Submission.objects.create(
        protocol=protocol,
        version=version,
        kind=SubmissionKind.INITIAL,
        status=SubmissionStatus.DECIDED,
        submitted_by=pi,
        submitted_at=decided_at - timedelta(days=30),
        status_changed_at=decided_at,
    )
    decision = Decision.objects.create(
        submission=submission,
        outcome=DecisionOutcome.APPROVE,
        decided_at=decided_at,
        decided_by=pi,
        route=ReviewRoute.EXPEDITED,
    )
    return Approval.objects.create(
        protocol=protocol,
        decision=decision,
        version=version,
        reference=f"A-{protocol.reference}-1",
        valid_from=valid_from or TODAY - timedelta(days=30),
        valid_until=valid_until,
        status=ApprovalStatus.ACTIVE,
        created_at=decided_at,
    )


def progress_report(approval: Approval, *, period_to: date, by: User) -> Submission:
    """A progress report submitted under the approval, covering the period up to ``period_to``."""
    submitted_at = at(period_to + timedelta(days=3))
    submission = Submission.objects.create(
        protocol=approval.protocol,
        version=approval.version,
        kind=SubmissionKind.PROGRESS_REPORT,
        status=SubmissionStatus.SUBMITTED,
        submitted_by=by,
        submitted_at=submitted_at,
        status_changed_at=submitted_at,
    )
    Report.objects.create(
        submission=submission, summary="On track.", period_from=approval.valid_from, period_to=period_to
    )
    return submission
