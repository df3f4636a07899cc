"""Builders for the cascade and records tests: an agreement made directly (the committee's side
is another area's), active with its grants, so these tests depend on no other service."""

from datetime import timedelta

from django.utils import timezone

from research_governance.agreements.cascade_services import grant_end_of_term
from research_governance.agreements.models import AccessGrant, Agreement, RequestTeamMember, Signature
from research_governance.agreements.workflow import AgreementStatus, GrantState, RequestStatus
from research_governance.reviews import services as review_services
from research_governance.reviews.models import Approval
from research_governance.reviews.workflow import ApprovalStatus
from tests.factories import UserFactory
from tests.reviews.post_approval_support import amend, approve
from tests.reviews.test_lifecycle import review

from .support import TODAY, make_request

_numbers = iter(range(1, 100000))


def make_agreement(data_request, *, status=AgreementStatus.ACTIVE, officer=None, term_days=365, accepted=True):
    """The agreement of a submitted request, signed by both parties, with a grant for each team
    member (the requester included), every one having accepted the terms."""
    # Decided directly: the committee's side is another area's.
    type(data_request).objects.filter(pk=data_request.pk).update(
        status=RequestStatus.DECIDED, outcome="approve", decided_at=timezone.now()
    )
    now = timezone.now()
    start = TODAY() if term_days >= 0 else TODAY() + timedelta(days=term_days - 30)
    end = TODAY() + timedelta(days=term_days)
    agreement = Agreement.objects.create(
        request=data_request,
        reference=f"DSA-{TODAY():%Y}-{next(_numbers):05d}",
        status=status,
        term_start=start,
        term_end=end,
        destruction_due=end + timedelta(days=30),
        status_changed_at=now,
        created_at=now,
    )
    if accepted:
        RequestTeamMember.objects.filter(request=data_request).update(accepted_terms_at=now)
    officer = officer or UserFactory()
    Signature.objects.create(
        agreement=agreement,
        party=Signature.Party.RECIPIENT,
        signer=data_request.requester,
        printed_name=data_request.requester.display_name,
        signed_at=now,
        meaning="Agreed for the recipient",
    )
    Signature.objects.create(
        agreement=agreement,
        party=Signature.Party.PROVIDER,
        signer=officer,
        printed_name=officer.display_name,
        signed_at=now,
        meaning="Agreed for the provider",
    )
    if status == AgreementStatus.ACTIVE and term_days >= 0:
        for member in data_request.team.all():
            AccessGrant.objects.create(
                agreement=agreement,
                user_id=member.user_id,
                state=GrantState.OPEN,
                starts_at=now,
                ends_at=grant_end_of_term(end),
                granted_by=officer,
                created_at=now,
            )
    return agreement


def shared(dataset, *, team=(), **agreement_options):
    """A request for the dataset by a new requester (with ``team``), and its active agreement."""
    requester = UserFactory()
    data_request = make_request(requester, [dataset] if not isinstance(dataset, list) else dataset, team=team)
    return make_agreement(data_request, **agreement_options)


def another_approval(secretariat, members, head):
    """A second active approval, of another investigator's protocol."""
    return approve(UserFactory(), secretariat, members, head)


def reactivate(approval):
    """The review engine has no way back to "active" yet: set it directly, as a reinstatement would."""
    Approval.objects.filter(pk=approval.pk).update(status=ApprovalStatus.ACTIVE)


def approve_amendment(approval, pi, secretariat, members, head, change=None, **fields):
    """An amendment of the approval's protocol, approved and in force. ``change(protocol)`` edits
    the protocol's parts beside its form (recipients) while the amendment is open."""
    if change is None:
        amendment = amend(approval, pi, **fields)
    else:
        protocol = approval.protocol
        review_services.amendment_start(protocol=protocol, by=pi)
        protocol.refresh_from_db()
        change(protocol)
        amendment = review_services.protocol_submit(
            protocol=protocol, by=pi, changes_summary="A change.", minor_change=True
        )
    review_services.submission_accept(submission=amendment, by=secretariat, route="expedited")
    review(
        review_services.reviewer_assign(
            submission=amendment, by=secretariat, reviewer=members[1].user, due_date=TODAY()
        ),
        members[1].user,
        "approve",
    )
    decision = review_services.decision_record(submission=amendment, by=secretariat, outcome="approve", reasons="OK.")
    if decision.needs_permission:
        review_services.head_permit(decision=decision, by=head)
    approval.refresh_from_db()
    return amendment
