"""The submission workflow, declared as data: states, actions, who may act, and
what each action does to the protocol's status. Services consult this table and
nothing else; reading it shows the whole lifecycle.

Four small tables: the submission (submit ... decide), the decision's conditions
(answer, sign off), the head's permission (JP-ERC-13) and the approval (suspend, close).
Every service that changes one of them asks ``transition_for`` with the table.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.protocols.models import ProtocolStatus


class SubmissionKind(models.TextChoices):
    INITIAL = "initial", _("Initial application")


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    RETURNED = "returned", _("Returned with requests")
    ACCEPTED = "accepted", _("Accepted for review")
    DECIDED = "decided", _("Decided")


class ReviewRoute(models.TextChoices):
    # JP-ERC-10 / US-IRB-05: expedited review by designated members, or the convened board.
    EXPEDITED = "expedited", _("Expedited review")
    FULL_BOARD = "full_board", _("Full-board review")


class Actor(StrEnum):
    # The PI, or a team member the PI delegated to edit and submit.
    APPLICANT = "applicant"
    SECRETARIAT = "secretariat"
    # Role CHAIR / HEAD at the protocol's institution.
    CHAIR = "chair"
    HEAD = "head"


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
    REVISE = "revise", _("Revise and resubmit")
    NOT_APPROVED = "not_approved", _("Not approved")
    NOT_APPLICABLE = "not_applicable", _("Not applicable (no review needed)")


APPROVING_OUTCOMES = frozenset({DecisionOutcome.APPROVE, DecisionOutcome.APPROVE_WITH_CONDITIONS})

# The protocol's status after the decision, by outcome and rule set. Under JP the head of the
# institution permits after the committee's opinion (JP-ERC-13); under US the IRB's approval
# is the approval. "revise" reopens the application: the next submission is a new round.
DECISION_PROTOCOL_STATUS: dict[tuple[str, str], str] = {
    (DecisionOutcome.APPROVE, "JP"): ProtocolStatus.AWAITING_PERMISSION,
    (DecisionOutcome.APPROVE_WITH_CONDITIONS, "JP"): ProtocolStatus.AWAITING_PERMISSION,
    (DecisionOutcome.APPROVE, "US"): ProtocolStatus.APPROVED,
    (DecisionOutcome.APPROVE_WITH_CONDITIONS, "US"): ProtocolStatus.APPROVED,
    **{
        (outcome, rule_set): status
        for outcome, status in (
            (DecisionOutcome.REVISE, ProtocolStatus.RETURNED),
            (DecisionOutcome.NOT_APPROVED, ProtocolStatus.NOT_APPROVED),
            (DecisionOutcome.NOT_APPLICABLE, ProtocolStatus.NOT_APPLICABLE),
        )
        for rule_set in ("JP", "US")
    },
}


class ConditionState(models.TextChoices):
    OPEN = "open", _("Waiting for the investigator's answer")
    ANSWERED = "answered", _("Answered, waiting for sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")


class ApprovalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actors: frozenset[Actor]
    # The protocol's status afterwards; "" when it does not change, or (decide) depends on the outcome.
    protocol_status: str
    audit_action: str
    label: Promise
    refused_reason: Promise


# A source of "" means the submission does not exist yet.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="submit",
        sources=frozenset({""}),
        target=SubmissionStatus.SUBMITTED,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status=ProtocolStatus.SUBMITTED,
        audit_action="protocol.submitted",
        label=_("Submit"),
        refused_reason=_("Only a draft can be submitted."),
    ),
    Transition(
        action="withdraw",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.WITHDRAWN,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status=ProtocolStatus.DRAFT,
        audit_action="submission.withdrawn",
        label=_("Withdraw submission"),
        refused_reason=_("The secretariat has already accepted this submission; it can no longer be withdrawn."),
    ),
    Transition(
        action="return",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.RETURNED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.RETURNED,
        audit_action="submission.returned",
        label=_("Return to the investigator"),
        refused_reason=_("Only a submission waiting for the secretariat can be returned."),
    ),
    Transition(
        action="accept",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.ACCEPTED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.IN_REVIEW,
        audit_action="submission.accepted",
        label=_("Accept for review"),
        refused_reason=_("Only a submission waiting for the secretariat can be accepted."),
    ),
    Transition(
        action="decide",
        sources=frozenset({SubmissionStatus.ACCEPTED}),
        target=SubmissionStatus.DECIDED,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status="",  # DECISION_PROTOCOL_STATUS
        audit_action="decision.recorded",
        label=_("Record the decision"),
        refused_reason=_("A decision is recorded only on a submission accepted for review and not yet decided."),
    ),
)

CONDITION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="answer",
        sources=frozenset({ConditionState.OPEN, ConditionState.ANSWERED}),
        target=ConditionState.ANSWERED,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status="",
        audit_action="condition.answered",
        label=_("Answer the condition"),
        refused_reason=_("This condition has been signed off; its answer can no longer change."),
    ),
    Transition(
        action="sign_off",
        sources=frozenset({ConditionState.ANSWERED}),
        target=ConditionState.SIGNED_OFF,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status="",
        audit_action="condition.signed_off",
        label=_("Sign off"),
        refused_reason=_("Only an answered condition that is not yet signed off can be signed off."),
    ),
)

# Sources are the protocol's status: the head permits after the committee's opinion (JP-ERC-13).
PERMISSION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="permit",
        sources=frozenset({ProtocolStatus.AWAITING_PERMISSION}),
        target=ProtocolStatus.APPROVED,
        actors=frozenset({Actor.HEAD}),
        protocol_status=ProtocolStatus.APPROVED,
        audit_action="permission.granted",
        label=_("Permit the research"),
        refused_reason=_("Only research awaiting the head's permission can be permitted."),
    ),
    Transition(
        action="refuse",
        sources=frozenset({ProtocolStatus.AWAITING_PERMISSION}),
        target=ProtocolStatus.NOT_PERMITTED,
        actors=frozenset({Actor.HEAD}),
        protocol_status=ProtocolStatus.NOT_PERMITTED,
        audit_action="permission.refused",
        label=_("Refuse permission"),
        refused_reason=_("Only research awaiting the head's permission can be refused."),
    ),
)

APPROVAL_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="suspend",
        sources=frozenset({ApprovalStatus.ACTIVE}),
        target=ApprovalStatus.SUSPENDED,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status=ProtocolStatus.SUSPENDED,
        audit_action="approval.suspended",
        label=_("Suspend the approval"),
        refused_reason=_("Only an active approval can be suspended."),
    ),
    Transition(
        action="close",
        sources=frozenset({ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}),
        target=ApprovalStatus.CLOSED,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status=ProtocolStatus.CLOSED,
        audit_action="approval.closed",
        label=_("Close the approval"),
        refused_reason=_("Only an active or suspended approval can be closed."),
    ),
)

# Each table with the states it moves between (for the walk test and the diagram).
WORKFLOWS: tuple[tuple[str, type[models.TextChoices], tuple[Transition, ...]], ...] = (
    ("Submission", SubmissionStatus, TRANSITIONS),
    ("Condition of a decision", ConditionState, CONDITION_TRANSITIONS),
    ("Head's permission (protocol status, JP-ERC-13)", ProtocolStatus, PERMISSION_TRANSITIONS),
    ("Approval", ApprovalStatus, APPROVAL_TRANSITIONS),
)


class TransitionRefused(Exception):
    """An action that the workflow does not allow now, with a reason a person can read."""

    def __init__(self, reason: str | Promise):
        super().__init__(str(reason))
        self.reason = reason


def transition_for(
    action: str, current_status: str, actors: set[Actor], table: tuple[Transition, ...] = TRANSITIONS
) -> Transition:
    """The transition for ``action`` from ``current_status``, or TransitionRefused saying why not."""
    transition = next(t for t in table if t.action == action)
    if not (transition.actors & actors):
        raise TransitionRefused(_("You are not allowed to do this."))
    if current_status not in transition.sources:
        raise TransitionRefused(transition.refused_reason)
    return transition


def allowed_actions(
    current_status: str, actors: set[Actor], table: tuple[Transition, ...] = TRANSITIONS
) -> list[Transition]:
    """The actions these actors can take now: what the page offers as next steps."""
    return [t for t in table if current_status in t.sources and t.actors & actors]
