"""Who may review a submission.

Reviewers hold ``review_submission`` on the submissions assigned to them (a direct-FK
guardian row), granted and revoked by the assignment services. A member with a
conflict never reviews: investigators on the study are conflicted whatever they
declare (JP-ERC-07, JP-ERC-08), and a declared conflict counts too (US-IRB-03)."""

from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import QuerySet

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.models import Site

from .engine import conflicts
from .models import ConflictDeclaration, Submission, SubmissionUserObjectPermission

REVIEW = "review_submission"


def _review_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="reviews", codename=REVIEW)


def grant_review_access(*, user: User, submission: Submission) -> None:
    SubmissionUserObjectPermission.objects.get_or_create(
        user=user, content_object=submission, permission=_review_permission()
    )


def revoke_review_access(*, user: User, submission: Submission) -> None:
    SubmissionUserObjectPermission.objects.filter(
        user=user, content_object=submission, permission__codename=REVIEW
    ).delete()


def conflict_reason(user: User, submission: Submission) -> str:
    """Why the user is conflicted on the submission ("" when not): a rule ID (engine.conflicts)."""
    return conflicts.conflict_reason(
        on_team=protocol_permissions.is_on_team(user, submission.protocol),
        declarations=ConflictDeclaration.objects.filter(submission=submission, member=user),
    )


def can_review(user: User | AnonymousUser, submission: Submission) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    granted = SubmissionUserObjectPermission.objects.filter(
        user=user, content_object=submission, permission__codename=REVIEW
    ).exists()
    return granted and not conflict_reason(user, submission)


def is_site_head(user: User | AnonymousUser, site: Site) -> bool:
    """The head of the participating site's institution, who permits for that site (JP-ERC-12)."""
    return (
        user.is_authenticated
        and user.is_active
        and site.institution_id is not None
        and RoleMembership.objects.current()
        .filter(user=user, role=Role.HEAD, institution_id=site.institution_id)
        .exists()
    )


def ethics_committee_members(submission: Submission) -> QuerySet[CommitteeMembership]:
    """Current members (not the secretariat) of the ethics committee of the protocol's institution."""
    return (
        CommitteeMembership.objects.filter(
            CommitteeMembership.current_q(),
            committee__institution_id=submission.protocol.institution_id,
            committee__kind=Committee.Kind.ETHICS,
        )
        .exclude(role=CommitteeMembership.Role.SECRETARIAT)
        .select_related("user")
        .order_by("user__name_latin")
    )
