"""Builders for the refusal and public-notice tests: an approved opt-out study, an approved
amendment of it, and agreements made directly (the committee's services are another area's)."""

from datetime import timedelta

from django.utils import timezone

from research_governance.agreements.models import Agreement
from research_governance.protocols import services as protocol_services
from research_governance.reviews import services as review_services
from research_governance.reviews.models import Approval
from tests.factories import attach, make_complete
from tests.reviews.test_lifecycle import review

from .support import make_dataset, make_request

TODAY = timezone.localdate
NOTICE_TEXT_V1 = "We use the records of patients seen in 2020-2024 to study kidney disease."
NOTICE_TEXT_V2 = "We use the records of patients seen in 2018-2024 to study kidney disease and its treatment."
TITLE_JA = "腎臓病の診療記録研究"
TITLE_EN = "Kidney disease records study"

OPT_OUT_FORM = {
    "title_ja": TITLE_JA,
    "title_en": TITLE_EN,
    "summary": "Retrospective study of kidney function in routine care records.",
    "acquisition": "existing_own",
    "consent_procedure": "opt_out",
    "opt_out_notice_text": NOTICE_TEXT_V1,
}


def _decide(submission, secretariat, members, head):
    review_services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = review_services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=members[0].user, due_date=TODAY()
    )
    review(assignment, members[0].user, "approve")
    decision = review_services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Ok.")
    if decision.needs_permission:
        review_services.head_permit(decision=decision, by=head)
    return decision


def approve_opt_out(pi, secretariat, members, head, *, team=(), recipients=(), **form):
    """An opt-out study of ``pi``'s with an active approval: its notice is public. ``team`` are
    co-investigators; ``recipients`` (name, country) data recipients of the study."""
    protocol = make_complete(pi, **{**OPT_OUT_FORM, **form})
    attach(protocol, pi, "opt_out_notice", "notice.pdf")
    for user in team:
        protocol_services.team_member_add(protocol=protocol, by=pi, user=user, role="co_investigator", can_edit=False)
    for name, country in recipients:
        protocol_services.recipient_add(
            protocol=protocol, by=pi, name=name, kind="research_institution", country=country, equivalent_measures=True
        )
    submission = review_services.protocol_submit(protocol=protocol, by=pi)
    _decide(submission, secretariat, members, head)
    return Approval.objects.get(protocol=protocol)


def approve_amendment(approval, pi, secretariat, members, head, **fields):
    """An amendment of the approved study, approved and permitted: its version comes into force."""
    from tests.reviews.post_approval_support import amend

    submission = amend(approval, pi, **fields)
    _decide(submission, secretariat, members, head)
    approval.refresh_from_db()
    return approval


def make_agreement(dataset, requester, *, team=(), status="active", reference=None):
    """An agreement on a submitted request for the dataset, made directly."""
    data_request = make_request(requester, [dataset], team=team)
    now = timezone.now()
    return Agreement.objects.create(
        request=data_request,
        reference=reference or f"DSA-{data_request.pk:05d}",
        status=status,
        term_start=TODAY(),
        term_end=TODAY() + timedelta(days=365),
        destruction_due=TODAY() + timedelta(days=395),
        status_changed_at=now,
        created_at=now,
    )


__all__ = ["approve_amendment", "approve_opt_out", "make_agreement", "make_dataset"]
