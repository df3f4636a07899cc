"""Reads of submissions and reviews used by more than one view."""

from typing import Any

from django.db.models import QuerySet

from research_governance.accounts.models import User
from research_governance.protocols.models import Protocol, ProtocolUserObjectPermission

from . import permissions as review_permissions
from .models import Approval, ConflictDeclaration, ReviewerAssignment, Submission


def eligible_reviewers(submission: Submission) -> QuerySet[User]:
    """Committee members who may be assigned: not the secretariat, not conflicted (JP-ERC-07, US-IRB-03)."""
    members = review_permissions.ethics_committee_members(submission).values_list("user_id", flat=True)
    conflicted = {user_id for user_id, _rule in reviewers_context(submission)["conflicted"]}
    assigned = submission.assignments.exclude(status=ReviewerAssignment.Status.WITHDRAWN).values_list(
        "reviewer_id", flat=True
    )
    return (
        User.objects.filter(pk__in=members).exclude(pk__in=conflicted).exclude(pk__in=assigned).order_by("name_latin")
    )


def reviewers_context(submission: Submission) -> dict[str, Any]:
    """What the secretariat's reviewer panel shows: assignments, and who is conflicted and why."""
    team_ids = set(
        ProtocolUserObjectPermission.objects.filter(content_object_id=submission.protocol_id).values_list(
            "user_id", flat=True
        )
    )
    declared = set(
        ConflictDeclaration.objects.filter(submission=submission, has_conflict=True).values_list("member_id", flat=True)
    )
    members = list(review_permissions.ethics_committee_members(submission))
    conflicted = [
        (m.user_id, "JP-ERC-07" if m.user_id in team_ids else "US-IRB-03")
        for m in members
        if m.user_id in team_ids or m.user_id in declared
    ]
    names = {m.user_id: m.user.display_name for m in members}
    return {
        "assignments": list(submission.assignments.select_related("reviewer").order_by("status", "due_date")),
        "conflicted": conflicted,
        "conflicted_names": [(names[user_id], rule) for user_id, rule in conflicted],
    }


def current_approval(protocol: Protocol) -> Approval | None:
    """The protocol's latest approval, whatever its status."""
    return Approval.objects.filter(protocol=protocol).select_related("version").order_by("-created_at", "-id").first()
