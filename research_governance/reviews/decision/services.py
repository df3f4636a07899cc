"""The committee's decision on a submission: expedited (recorded by the secretariat or the chair)
or full board (recorded by the meeting's item decision, with the votes), through the
committee-review engine (``reviews.engine.decision_services``)."""

from collections.abc import Sequence

from django.db import transaction

from research_governance.accounts.models import User
from research_governance.notifications.handoff import announce
from research_governance.reviews.engine import decision_services
from research_governance.reviews.engine.ethics_services import EthicsSubmission
from research_governance.reviews.models import Decision, Submission


@transaction.atomic
def decision_record(
    *,
    submission: Submission,
    by: User,
    outcome: str,
    reasons: str,
    conditions: Sequence[str] = (),
    validity_months: int | None = None,
    meeting_item_id: int | None = None,
    votes: dict[str, int] | None = None,
) -> Decision:
    """Record the committee's decision on an accepted submission.

    Expedited route (JP-ERC-10, US-IRB-05): the secretariat or the chair records it once at least
    one review is submitted; under the US rule set it cannot be disapproval; every committee member
    is informed. Full-board route: the meetings service calls this after the quorum and the vote,
    with the agenda item and the votes. The protocol's status follows DECISION_PROTOCOL_STATUS."""
    subject = EthicsSubmission.lock(submission)
    decision: Decision = decision_services.decision_record(
        subject,
        by=by,
        outcome=outcome,
        reasons=reasons,
        conditions=conditions,
        validity_months=validity_months,
        meeting_item_id=meeting_item_id,
        votes=votes,
    )
    # Conditions to answer, the head's permission, or a revision: whoever acts next is told.
    announce(protocol_ids=[subject.protocol.pk], by=by)
    return decision
