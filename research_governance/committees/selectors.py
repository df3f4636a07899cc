"""Reads of committees and their rosters."""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from research_governance.accounts.models import Role, User
from research_governance.accounts.selectors import has_role_at, institutions_with_role

from .models import Committee, CommitteeMembership

# Account roles that may change a committee's roster and settings; only the
# administrator may change its rule set (which also changes how studies are assessed).
MANAGER_ROLES = (Role.SECRETARIAT, Role.ADMINISTRATOR)
RULE_SET_ROLES = (Role.ADMINISTRATOR,)


def can_manage_committee(user: User | AnonymousUser, committee: Committee) -> bool:
    """The secretariat and administrators of the committee's own institution."""
    return has_role_at(user, committee.institution_id, *MANAGER_ROLES)


def can_change_rule_set(user: User | AnonymousUser, committee: Committee) -> bool:
    return has_role_at(user, committee.institution_id, *RULE_SET_ROLES)


ROLE_ORDER = {role: rank for rank, role in enumerate(CommitteeMembership.Role.values)}


@dataclass
class Seats:
    """Every seat of a committee, read in one query and sorted by when it applies."""

    roster: list[CommitteeMembership] = field(default_factory=list)  # sitting today: what the rules check
    secretariat: list[CommitteeMembership] = field(default_factory=list)  # supporting today
    upcoming: list[CommitteeMembership] = field(default_factory=list)  # terms that start later
    former: list[CommitteeMembership] = field(default_factory=list)  # terms that have ended


def committee_seats(committee: Committee, *, on: date | None = None) -> Seats:
    day = on or timezone.localdate()
    seats = Seats()
    memberships = sorted(
        committee.memberships.select_related("user"),
        key=lambda membership: (ROLE_ORDER.get(membership.role, len(ROLE_ORDER)), membership.user.display_name),
    )
    for membership in memberships:
        if membership.valid_to is not None and membership.valid_to < day:
            seats.former.append(membership)
        elif membership.valid_from > day:
            seats.upcoming.append(membership)
        elif membership.role == CommitteeMembership.Role.SECRETARIAT:
            seats.secretariat.append(membership)
        else:
            seats.roster.append(membership)
    # Most recent departures first: that is what the secretariat looks for.
    seats.former.sort(key=lambda membership: membership.valid_to or day, reverse=True)
    return seats


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


# Who reads every committee of their institution (rosters, meetings, minutes).
READER_ROLES = (Role.SECRETARIAT, Role.ADMINISTRATOR, Role.AUDITOR)


def committee_visibility(user: User) -> Q:
    """THE rule for who may see a committee: the secretariat, administrators and auditors of its
    institution, and its own current members. List and detail both filter with it."""
    seat = Exists(
        CommitteeMembership.objects.filter(CommitteeMembership.current_q(), committee=OuterRef("pk"), user=user)
    )
    return Q(institution_id__in=institutions_with_role(user, *READER_ROLES)) | seat


def committees_visible_to(user: User | AnonymousUser) -> QuerySet[Committee]:
    if not (user.is_authenticated and user.is_active):
        return Committee.objects.none()
    return Committee.objects.filter(committee_visibility(user))


def sitting_on(committee: Committee, day: date) -> list[CommitteeMembership]:
    """The seats that sit on the committee on ``day`` (not the secretariat): the roster the
    quorum of a meeting on that day is judged against (JP-ERC-06, US-IRB-04)."""
    return list(
        committee.memberships.filter(Q(valid_from__lte=day), Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .exclude(role=CommitteeMembership.Role.SECRETARIAT)
        .select_related("user")
        .order_by("role", "user__name_latin", "pk")
    )
