"""The workflow enums, by class name, in every template's context.

Templates compare a status with its member (``submission.status == SubmissionStatus.ACCEPTED``),
never with a string literal: a renamed or removed member then fails loudly in a test instead of
silently hiding a button. Django's Choices set ``do_not_call_in_templates``, so the member lookup
works; tests/core/test_templates_enums.py fails on a string literal compared with a status.

It imports the domain apps' workflow declarations, so it sits with the site shell (portal),
above every app it names.
"""

from typing import Any

from django.http import HttpRequest

from research_governance.agreements.workflow import AgreementStatus, GrantState, RequestStatus
from research_governance.audit.models import AccessKind
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews.models import ReviewerAssignment
from research_governance.reviews.workflow import (
    ApprovalStatus,
    ConditionState,
    DecisionOutcome,
    PermissionState,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
)

WORKFLOW_ENUMS: dict[str, Any] = {
    "AccessKind": AccessKind,
    "AgreementStatus": AgreementStatus,
    "ApprovalStatus": ApprovalStatus,
    "AssignmentStatus": ReviewerAssignment.Status,
    "ConditionState": ConditionState,
    "DecisionOutcome": DecisionOutcome,
    "GrantState": GrantState,
    "PermissionState": PermissionState,
    "ProtocolStatus": ProtocolStatus,
    "RequestStatus": RequestStatus,
    "ReviewRoute": ReviewRoute,
    "SubmissionKind": SubmissionKind,
    "SubmissionStatus": SubmissionStatus,
}


def workflow_enums(request: HttpRequest) -> dict[str, Any]:
    return WORKFLOW_ENUMS
