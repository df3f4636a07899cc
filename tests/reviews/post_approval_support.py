"""Builders for the post-approval tests: an active approval, an amendment, report data."""

from datetime import timedelta

from django.utils import timezone

from research_governance.reviews import services
from research_governance.reviews.models import Approval
from tests.factories import make_complete

from .test_lifecycle import review

TODAY = timezone.localdate


def progress_data(**overrides):
    return {
        "period_from": TODAY() - timedelta(days=300),
        "period_to": TODAY(),
        "participants_enrolled": 12,
        "summary": "On plan.",
        **overrides,
    }


def sae_data(**overrides):
    return {
        "occurred_on": TODAY() - timedelta(days=2),
        "became_aware_on": TODAY() - timedelta(days=1),
        "causality": "possibly",
        "unexpected": True,
        "summary": "Anaphylaxis after the second dose.",
        "actions_taken": "Treated; dosing paused for this participant.",
        **overrides,
    }


def approve(pi, secretariat, members, head):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=members[0].user, due_date=TODAY()
    )
    review(assignment, members[0].user, "approve")
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    if head is not None:
        services.head_permit(decision=decision, by=head)
    return Approval.objects.get(protocol=submission.protocol)


def amend(approval, pi, **fields):
    protocol = approval.protocol
    services.amendment_start(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    for name, value in fields.items():
        setattr(protocol, name, value)
    protocol.save()
    return services.protocol_submit(protocol=protocol, by=pi, changes_summary="A change.", minor_change=True)
