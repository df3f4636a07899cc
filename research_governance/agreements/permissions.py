"""Who may see and act on data-access requests and agreements.

- The requester and the members of the request's team see their request; no other requester does.
- The provider: the PI and team of every study whose dataset is requested see the requests for
  their datasets (read only).
- The data access committee of the provider's institution: its chair and secretariat (officers)
  pre-screen, assign and decide; its members see what they are assigned to. A member on the
  requesting team or on a providing study's team is conflicted whatever they declare (JP-ERC-07),
  and a declared conflict counts too (US-IRB-03): a conflicted member sees nothing of the request.
- Auditors and administrators of the institution read everything and change nothing."""

from collections.abc import Mapping
from typing import TYPE_CHECKING

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.protocols.models import Protocol, TeamMember
from research_governance.reviews.engine import conflicts

from .models import Agreement, DataAccessRequest, RequestConflict, RequestReview, RequestTeamMember

if TYPE_CHECKING:
    from typing_extensions import TypeIs

OFFICER_ROLES = (CommitteeMembership.Role.CHAIR, CommitteeMembership.Role.SECRETARIAT)
OVERSIGHT_ROLES = (Role.AUDITOR, Role.ADMINISTRATOR)


def _signed_in(user: User | AnonymousUser) -> "TypeIs[User]":
    return bool(user.is_authenticated and user.is_active)


def dac_seats(user: User, institution_id: int) -> QuerySet[CommitteeMembership]:
    return dac_seats_anywhere(user).filter(committee__institution_id=institution_id)


def is_dac_officer(user: User | AnonymousUser, institution_id: int) -> bool:
    """The chair or secretariat of the institution's data access committee."""
    return _signed_in(user) and dac_seats(user, institution_id).filter(role__in=OFFICER_ROLES).exists()


def officer_institutions(user: User) -> QuerySet[CommitteeMembership, Mapping[str, object]]:
    """The institutions whose data access committee the user chairs or runs (a subquery)."""
    return dac_seats_anywhere(user).filter(role__in=OFFICER_ROLES).values("committee__institution_id")


def is_officer_anywhere(user: User | AnonymousUser) -> bool:
    """Whether the user chairs or runs a data access committee today: the committee's queue."""
    return _signed_in(user) and officer_institutions(user).exists()


def dac_seats_anywhere(user: User) -> QuerySet[CommitteeMembership]:
    return CommitteeMembership.objects.filter(
        CommitteeMembership.current_q(), user=user, committee__kind=Committee.Kind.DATA_ACCESS
    )


def oversight_institutions(user: User) -> QuerySet[RoleMembership, Mapping[str, object]]:
    """The institutions where the user is an auditor or administrator today (a subquery)."""
    return RoleMembership.objects.current().filter(user=user, role__in=OVERSIGHT_ROLES).values("institution_id")


def officer_or_oversight_institutions(user: User | AnonymousUser) -> list[int]:
    """Institutions whose registers (grants, provisions) the user may read: the data access
    committee's officers, auditors and administrators."""
    if not _signed_in(user):
        return []
    officer = officer_institutions(user).values_list("committee__institution_id", flat=True)
    oversight = oversight_institutions(user).values_list("institution_id", flat=True)
    return sorted(set(officer) | set(oversight))


def is_oversight_reader(user: User | AnonymousUser, institution_id: int) -> bool:
    """Auditors and administrators read everything of their institution and change nothing."""
    return (
        _signed_in(user)
        and RoleMembership.objects.current()
        .filter(user=user, institution_id=institution_id, role__in=OVERSIGHT_ROLES)
        .exists()
    )


def providing_protocols(request: DataAccessRequest) -> QuerySet[Protocol]:
    return Protocol.objects.filter(datasets__requests=request).distinct()


def is_requesting_team(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    if not _signed_in(user):
        return False
    return request.requester_id == user.pk or request.team.filter(user=user).exists()


def is_provider(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    """The PI or a team member of a study whose dataset is requested."""
    if not _signed_in(user):
        return False
    protocols = providing_protocols(request)
    return (
        protocols.filter(principal_investigator=user).exists()
        or TeamMember.objects.filter(protocol__in=protocols, user=user).exists()
    )


def conflict_reason(user: User, request: DataAccessRequest) -> str:
    """Why the member is conflicted on the request ("" when not): a rule ID (reviews.engine.conflicts)."""
    return conflicts.conflict_reason(
        on_team=is_requesting_team(user, request) or is_provider(user, request),
        declarations=RequestConflict.objects.filter(request=request, member=user),
    )


def conflicted_members(request_ids: list[int]) -> dict[int, set[int]]:
    """``conflict_reason`` for many requests at once: {request id: the user ids conflicted on it}.

    The same rule in four queries however many requests: the requesting team (the requester and
    the team), the providing studies' PIs and team members (JP-ERC-07), and the members who
    declared a conflict (US-IRB-03). The next steps use it to leave conflicted officers out."""
    found: dict[int, set[int]] = {pk: set() for pk in request_ids}
    if not request_ids:
        return found
    for pk, requester_id in DataAccessRequest.objects.filter(pk__in=request_ids).values_list("pk", "requester_id"):
        found[pk].add(requester_id)
    for pk, user_id in RequestTeamMember.objects.filter(request_id__in=request_ids).values_list(
        "request_id", "user_id"
    ):
        found[pk].add(user_id)
    through = DataAccessRequest.datasets.through.objects.filter(dataaccessrequest_id__in=request_ids)
    studies: dict[int, set[int]] = {}
    for pk, protocol_id, pi_id in through.values_list(
        "dataaccessrequest_id", "dataset__protocol_id", "dataset__protocol__principal_investigator_id"
    ):
        studies.setdefault(protocol_id, set()).add(pk)
        found[pk].add(pi_id)
    for protocol_id, user_id in TeamMember.objects.filter(protocol_id__in=list(studies)).values_list(
        "protocol_id", "user_id"
    ):
        for pk in studies[protocol_id]:
            found[pk].add(user_id)
    declared = RequestConflict.objects.filter(request_id__in=request_ids, has_conflict=True)
    for pk, user_id in declared.values_list("request_id", "member_id"):
        found[pk].add(user_id)
    return found


def is_assigned_reviewer(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    return _signed_in(user) and RequestReview.objects.filter(request=request, reviewer=user).exists()


def can_view_request(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    return visible_requests(user).filter(pk=request.pk).exists()


def can_edit_request(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    return _signed_in(user) and request.requester_id == user.pk and request.status in ("draft", "returned")


def can_act_as_officer(user: User | AnonymousUser, request: DataAccessRequest) -> bool:
    """Pre-screen, assign, decide, sign for the provider: an unconflicted officer of the committee."""
    # Signed in already follows from being an officer; said first so that the user is a User below.
    return _signed_in(user) and is_dac_officer(user, request.institution_id) and not conflict_reason(user, request)


def can_view_agreement(user: User | AnonymousUser, agreement: Agreement) -> bool:
    return can_view_request(user, agreement.request)


def request_visibility(user: User) -> Q:
    """THE rule for who may see a data-access request (and its agreement): the list query
    (``visible_requests``) and the detail check (``can_view_request``) are both this filter.

    The requesting team always; once submitted, the providing studies' teams, the auditors and
    administrators of the provider institution, and the officers of its data access committee and
    the members assigned to review, unless they declared a conflict (US-IRB-03)."""
    own = Q(requester=user) | Exists(RequestTeamMember.objects.filter(request=OuterRef("pk"), user=user))
    provider = Q(
        Exists(
            Protocol.objects.filter(datasets__requests=OuterRef("pk")).filter(
                Q(principal_investigator=user) | Exists(TeamMember.objects.filter(protocol=OuterRef("pk"), user=user))
            )
        )
    )
    oversight = Q(institution__in=oversight_institutions(user))
    officer = Q(institution__in=officer_institutions(user))
    reviewer = Q(Exists(RequestReview.objects.filter(request=OuterRef("pk"), reviewer=user)))
    declared = Q(Exists(RequestConflict.objects.filter(request=OuterRef("pk"), member=user)))
    not_draft = ~Q(status="draft")
    return own | (not_draft & (provider | oversight | ((officer | reviewer) & ~declared)))


def visible_requests(user: User | AnonymousUser) -> QuerySet[DataAccessRequest]:
    """Every request the user may see, for lists: one query, no per-row checks."""
    if not _signed_in(user):
        return DataAccessRequest.objects.none()
    return DataAccessRequest.objects.filter(request_visibility(user))
