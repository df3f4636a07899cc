"""The committee's decision on a submission: expedited (recorded by the secretariat or the chair)
or full board (recorded by the meeting's item decision, with the votes)."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.services import audit_record
from research_governance.notifications.messages import in_each_language
from research_governance.notifications.services import notify
from research_governance.protocols import permissions
from research_governance.protocols.assessment import rule_set_for
from research_governance.protocols.models import Protocol
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.hooks import letters_due
from research_governance.reviews.models import Condition, Decision, ReviewerAssignment, Submission
from research_governance.reviews.participants import _about, _link, _refuse_conflicted, _team_of, actors_for
from research_governance.reviews.post_approval.approvals import _approval_transition, _decision_takes_effect
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.submission.services import _reopen_amendment
from research_governance.reviews.workflow import (
    APPROVAL_TRANSITIONS,
    APPROVING_OUTCOMES,
    DECISION_PROTOCOL_STATUS,
    KIND_RULES,
    Actor,
    DecisionOutcome,
    ReviewRoute,
    SubmissionKind,
    TransitionRefused,
    transition_for,
)

VOTE_KEYS = ("for", "against", "abstain")


def _clean_votes(votes: Any) -> dict[str, int]:
    if (
        not isinstance(votes, dict)
        or set(votes) != set(VOTE_KEYS)
        or not all(isinstance(votes[key], int) and votes[key] >= 0 for key in VOTE_KEYS)
    ):
        raise ValidationError(gettext("The votes must give the numbers for, against and abstaining."))
    return {key: votes[key] for key in VOTE_KEYS}


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
    locked = Submission.objects.select_for_update().get(pk=submission.pk)
    protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
    if not permissions.can_view(by, protocol):
        raise PermissionDenied
    transition = transition_for("decide", locked.status, actors_for(by, protocol))
    _refuse_conflicted(by, locked)
    rules = KIND_RULES[locked.kind]
    if outcome not in DecisionOutcome.values:
        raise ValidationError(gettext("Choose the decision."))
    if outcome not in rules.outcomes:
        raise ValidationError(
            gettext("“%(outcome)s” is not a decision on a %(kind)s; choose one of: %(choices)s.")
            % {
                "outcome": DecisionOutcome(outcome).label,
                "kind": locked.get_kind_display().lower(),
                "choices": ", ".join(str(DecisionOutcome(choice).label) for choice in rules.outcomes),
            }
        )
    rule_set = rule_set_for(protocol)
    if locked.route == ReviewRoute.FULL_BOARD:
        if meeting_item_id is None or votes is None:
            raise TransitionRefused(
                gettext(
                    "This submission is on the full-board route: its decision is recorded at a meeting, "
                    "with the agenda item and the votes."
                )
            )
        votes = _clean_votes(votes)
    else:
        if meeting_item_id is not None or votes is not None:
            raise ValidationError(gettext("An expedited decision is not taken at a meeting; it has no votes."))
        if rules.needs_review and not locked.assignments.filter(status=ReviewerAssignment.Status.COMPLETED).exists():
            raise TransitionRefused(gettext("Record the decision once at least one reviewer has submitted a review."))
        if outcome == DecisionOutcome.NOT_APPROVED and rule_set == "US":
            raise TransitionRefused(
                gettext(
                    "An expedited review cannot disapprove (US-IRB-05): disapproval needs the convened board. "
                    "Decide “revise and resubmit”, or refer the submission to the full board."
                )
            )
    texts = [text.strip() for text in conditions if text.strip()]
    if outcome == DecisionOutcome.APPROVE_WITH_CONDITIONS and not texts:
        raise ValidationError(gettext("Write at least one condition, one per line."))
    if outcome != DecisionOutcome.APPROVE_WITH_CONDITIONS and texts:
        raise ValidationError(gettext("Only an approval with conditions has conditions."))
    if validity_months is not None and not 1 <= validity_months <= 120:
        raise ValidationError(gettext("The approval period is between 1 and 120 months."))

    approval = None if rules.moves_protocol else current_approval(protocol)
    if rules.closes_approval and outcome == DecisionOutcome.ACKNOWLEDGE:
        # JP-R-07: the final report closes the approval; it must still be open.
        transition_for("close", approval.status if approval else "", {Actor.SECRETARIAT}, APPROVAL_TRANSITIONS)

    now = timezone.now()
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = now
    locked.save(update_fields=["status", "status_changed_at"])
    needs_permission = rule_set == "JP" and rules.head_permits and outcome in APPROVING_OUTCOMES
    decision = Decision.objects.create(
        submission=locked,
        outcome=outcome,
        reasons=reasons.strip(),
        decided_at=now,
        decided_by=by,
        route=locked.route,
        meeting_item_id=meeting_item_id,
        votes=votes,
        validity_months=validity_months,
        needs_permission=needs_permission,
    )
    Condition.objects.bulk_create(
        Condition(decision=decision, number=number, text=text) for number, text in enumerate(texts, 1)
    )
    if rules.moves_protocol:
        protocol.status = DECISION_PROTOCOL_STATUS[(outcome, rule_set)]
    elif locked.kind == SubmissionKind.AMENDMENT and outcome == DecisionOutcome.REVISE:
        _reopen_amendment(protocol)
    protocol.save(update_fields=["status", "amendment_open", "lock_version", "updated_at"])
    permissions.restamp_dashboards(protocol=protocol)
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        protocol=protocol,
        data={
            "from": previous,
            "to": locked.status,
            "kind": locked.kind,
            "version": locked.version.number,
            "outcome": outcome,
            "reasons": decision.reasons,
            "conditions": texts,
            "route": decision.route,
            "rule_set": rule_set,
            "validity_months": validity_months,
            "meeting_item_id": meeting_item_id,
            "votes": votes,
            "needs_permission": needs_permission,
        },
    )
    if outcome in APPROVING_OUTCOMES and not needs_permission:
        # Under the US rule set the IRB's approval is the approval; conditions are still tracked.
        _decision_takes_effect(decision=decision, protocol=protocol, by=by)
    if rules.closes_approval and outcome == DecisionOutcome.ACKNOWLEDGE and approval is not None:
        _approval_transition(
            approval=approval,
            protocol=protocol,
            by=by,
            action="close",
            actors={Actor.SECRETARIAT},
            reasons=gettext("Final report acknowledged (JP-R-07)."),
        )
    params = {**_about(protocol), "decision": in_each_language(decision.get_outcome_display())}
    team = _team_of(protocol)
    notify(recipients=team, kind="decision.recorded", params=params, link=_link(protocol), protocol=protocol)
    if decision.route == ReviewRoute.EXPEDITED:
        # JP-ERC-10 / US-IRB-05: an expedited result is the committee's opinion; every member is told.
        members = User.objects.filter(
            pk__in=review_permissions.ethics_committee_members(locked).values("user_id")
        ).exclude(pk__in=team.values("pk"))
        notify(recipients=members, kind="decision.recorded", params=params, protocol=protocol)
    letters_due(decision_id=decision.pk, kind="decision")
    return decision
