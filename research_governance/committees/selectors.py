"""Reads of committees and their rosters."""

from typing import Any

from django.db.models import QuerySet

from research_governance.accounts.models import Role, User
from research_governance.accounts.selectors import user_has_role

from .models import Committee, CommitteeMembership


def current_roster(committee: Committee) -> QuerySet[CommitteeMembership]:
    """Members who sit on the committee today (the secretariat supports it but does not sit)."""
    return (
        committee.memberships.filter(CommitteeMembership.current_q())
        .exclude(role=CommitteeMembership.Role.SECRETARIAT)
        .select_related("user")
        .order_by("role", "user__name_latin")
    )


def roster_as_engine_input(committee: Committee, roster: list[CommitteeMembership]) -> dict[str, Any]:
    """The roster in the rules engine's vocabulary (check-committee input)."""
    return {
        "rule_set": committee.rule_set,
        "members": [
            {
                "id": str(membership.pk),
                "category": membership.category or "natural_science",
                "scientist": membership.category == CommitteeMembership.Category.NATURAL_SCIENCE,
                "external": membership.is_external,
                "sex": membership.sex or "other",
            }
            for membership in roster
        ],
    }


def committees_visible_to(user: User) -> QuerySet[Committee]:
    """Secretariat and administrators see every committee; members see their own."""
    if user_has_role(user, Role.SECRETARIAT, Role.ADMINISTRATOR, Role.AUDITOR):
        return Committee.objects.all()
    return Committee.objects.filter(
        memberships__in=CommitteeMembership.objects.filter(CommitteeMembership.current_q(), user=user)
    ).distinct()
