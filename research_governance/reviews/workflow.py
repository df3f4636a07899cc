"""The submission workflow, declared as data: states, actions, who may act, and
what each action does to the protocol's status. Services consult this table and
nothing else; reading it shows the whole lifecycle.

One review engine serves every kind of submission (``KIND_RULES`` says how the kinds
differ: the decisions open to the committee, whether the head permits, what the
submission does to the protocol and its approval). Four small tables: the submission
(submit ... decide), the decision's conditions (answer, sign off), the head's
permission (JP-ERC-13) and the approval (suspend, close). Every service that changes
one of them asks ``transition_for`` with the table.
"""

from collections.abc import Set
from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.audit.actions import AuditAction
from research_governance.protocols.models import ProtocolStatus


class SubmissionKind(models.TextChoices):
    INITIAL = "initial", _("Initial application")
    AMENDMENT = "amendment", _("Amendment")
    PROGRESS_REPORT = "progress_report", _("Progress report")
    SAFETY_REPORT = "safety_report", _("Serious adverse event")
    DEVIATION = "deviation", _("Deviation or non-compliance")
    FINAL_REPORT = "final_report", _("Final report")


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
    # No person: the daily scan (research_governance.reminders) expiring an approval whose period is over.
    SYSTEM = "system"


class DecisionOutcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    APPROVE_WITH_CONDITIONS = "approve_with_conditions", _("Approve with conditions")
    REVISE = "revise", _("Revise and resubmit")
    NOT_APPROVED = "not_approved", _("Not approved")
    NOT_APPLICABLE = "not_applicable", _("Not applicable (no review needed)")
    # A report is not approved; the committee acknowledges it, or asks for more (revise).
    ACKNOWLEDGE = "acknowledge", _("Acknowledged")


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


class ApprovalStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    CLOSED = "closed", _("Closed")


@dataclass(frozen=True)
class KindRules:
    """How one kind of submission goes through the one review engine."""

    kind: str
    # The decisions open to the committee.
    outcomes: tuple[str, ...]
    # Carries a new frozen version of the application (the initial application, an amendment).
    carries_version: bool
    # Submit, return, accept and decide move the protocol's status (only the initial application;
    # after approval the protocol stays approved while amendments and reports are reviewed).
    moves_protocol: bool
    # The approval statuses under which the investigator may submit it ("" for none needed).
    approval_statuses: frozenset[str]
    # Under the JP rule set an approving decision goes to the head of institution (JP-ERC-13).
    head_permits: bool = False
    # An expedited decision needs a submitted review first; a report may be acknowledged directly.
    needs_review: bool = True
    # Flagged to the chair and the head at once, with the time reported (JP-R-02).
    urgent: bool = False
    # Acknowledging it closes the approval and the protocol (JP-R-07).
    closes_approval: bool = False
    # Several may be with the committee at once (events); otherwise one at a time.
    concurrent: bool = False
    # The rule the kind implements, shown to the investigator.
    rule: str = ""


_APPROVAL_DECISIONS = (
    DecisionOutcome.APPROVE,
    DecisionOutcome.APPROVE_WITH_CONDITIONS,
    DecisionOutcome.REVISE,
    DecisionOutcome.NOT_APPROVED,
)
_REPORT_DECISIONS = (DecisionOutcome.ACKNOWLEDGE, DecisionOutcome.REVISE)
_LIVE = frozenset({ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED})

KIND_RULES: dict[str, KindRules] = {
    rules.kind: rules
    for rules in (
        KindRules(
            kind=SubmissionKind.INITIAL,
            outcomes=(*_APPROVAL_DECISIONS, DecisionOutcome.NOT_APPLICABLE),
            carries_version=True,
            moves_protocol=True,
            approval_statuses=frozenset({""}),
            head_permits=True,
        ),
        KindRules(
            kind=SubmissionKind.AMENDMENT,
            outcomes=_APPROVAL_DECISIONS,
            carries_version=True,
            moves_protocol=False,
            approval_statuses=frozenset({ApprovalStatus.ACTIVE}),
            head_permits=True,
            rule="JP-ERC-10",
        ),
        KindRules(
            kind=SubmissionKind.PROGRESS_REPORT,
            outcomes=_REPORT_DECISIONS,
            carries_version=False,
            moves_protocol=False,
            approval_statuses=_LIVE,
            needs_review=False,
            rule="JP-R-01",
        ),
        KindRules(
            kind=SubmissionKind.SAFETY_REPORT,
            outcomes=_REPORT_DECISIONS,
            carries_version=False,
            moves_protocol=False,
            approval_statuses=_LIVE,
            needs_review=False,
            urgent=True,
            concurrent=True,
            rule="JP-R-02",
        ),
        KindRules(
            kind=SubmissionKind.DEVIATION,
            outcomes=_REPORT_DECISIONS,
            carries_version=False,
            moves_protocol=False,
            approval_statuses=_LIVE,
            needs_review=False,
            concurrent=True,
            rule="JP-R-04",
        ),
        KindRules(
            kind=SubmissionKind.FINAL_REPORT,
            outcomes=_REPORT_DECISIONS,
            carries_version=False,
            moves_protocol=False,
            approval_statuses=_LIVE,
            needs_review=False,
            closes_approval=True,
            rule="JP-R-07",
        ),
    )
}
REPORT_KINDS = tuple(kind for kind, rules in KIND_RULES.items() if not rules.carries_version)


class PermissionState(models.TextChoices):
    AWAITING = "awaiting", _("Awaiting the head's permission")
    PERMITTED = "permitted", _("Permitted")
    REFUSED = "refused", _("Not permitted")


class ConditionState(models.TextChoices):
    OPEN = "open", _("Waiting for the investigator's answer")
    ANSWERED = "answered", _("Answered, waiting for sign-off")
    SIGNED_OFF = "signed_off", _("Signed off")


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    # Actor here; other workflows built on this engine (agreements.workflow) bring their own.
    actors: frozenset[StrEnum]
    # The protocol's status afterwards; "" when it does not change, or (decide) depends on the outcome.
    protocol_status: str
    audit_action: AuditAction
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
        audit_action=AuditAction.PROTOCOL_SUBMITTED,
        label=_("Submit"),
        refused_reason=_("Only a draft can be submitted."),
    ),
    Transition(
        action="withdraw",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.WITHDRAWN,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status=ProtocolStatus.DRAFT,
        audit_action=AuditAction.SUBMISSION_WITHDRAWN,
        label=_("Withdraw submission"),
        refused_reason=_("The secretariat has already accepted this submission; it can no longer be withdrawn."),
    ),
    Transition(
        action="return",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.RETURNED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.RETURNED,
        audit_action=AuditAction.SUBMISSION_RETURNED,
        label=_("Return to the investigator"),
        refused_reason=_("Only a submission waiting for the secretariat can be returned."),
    ),
    Transition(
        action="accept",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.ACCEPTED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.IN_REVIEW,
        audit_action=AuditAction.SUBMISSION_ACCEPTED,
        label=_("Accept for review"),
        refused_reason=_("Only a submission waiting for the secretariat can be accepted."),
    ),
    Transition(
        action="decide",
        sources=frozenset({SubmissionStatus.ACCEPTED}),
        target=SubmissionStatus.DECIDED,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status="",  # DECISION_PROTOCOL_STATUS
        audit_action=AuditAction.DECISION_RECORDED,
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
        audit_action=AuditAction.CONDITION_ANSWERED,
        label=_("Answer the condition"),
        refused_reason=_("This condition has been signed off; its answer can no longer change."),
    ),
    Transition(
        action="sign_off",
        sources=frozenset({ConditionState.ANSWERED}),
        target=ConditionState.SIGNED_OFF,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status="",
        audit_action=AuditAction.CONDITION_SIGNED_OFF,
        label=_("Sign off"),
        refused_reason=_("Only an answered condition that is not yet signed off can be signed off."),
    ),
)

# Sources are the decision's permission state: the head permits after the committee's opinion
# (JP-ERC-13). The protocol's status changes only for the initial application (KIND_RULES).
PERMISSION_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="permit",
        sources=frozenset({PermissionState.AWAITING}),
        target=PermissionState.PERMITTED,
        actors=frozenset({Actor.HEAD}),
        protocol_status=ProtocolStatus.APPROVED,
        audit_action=AuditAction.PERMISSION_GRANTED,
        label=_("Permit the research"),
        refused_reason=_("Only research awaiting the head's permission can be permitted."),
    ),
    Transition(
        action="refuse",
        sources=frozenset({PermissionState.AWAITING}),
        target=PermissionState.REFUSED,
        actors=frozenset({Actor.HEAD}),
        protocol_status=ProtocolStatus.NOT_PERMITTED,
        audit_action=AuditAction.PERMISSION_REFUSED,
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
        audit_action=AuditAction.APPROVAL_SUSPENDED,
        label=_("Suspend the approval"),
        refused_reason=_("Only an active approval can be suspended."),
    ),
    Transition(
        action="close",
        sources=frozenset({ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}),
        target=ApprovalStatus.CLOSED,
        actors=frozenset({Actor.SECRETARIAT, Actor.CHAIR}),
        protocol_status=ProtocolStatus.CLOSED,
        audit_action=AuditAction.APPROVAL_CLOSED,
        label=_("Close the approval"),
        refused_reason=_("Only an active or suspended approval can be closed."),
    ),
    # An approval valid until D is valid through D and expires on D + 1 (services.approvals_expire).
    Transition(
        action="expire",
        sources=frozenset({ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}),
        target=ApprovalStatus.EXPIRED,
        actors=frozenset({Actor.SYSTEM}),
        protocol_status=ProtocolStatus.EXPIRED,
        audit_action=AuditAction.APPROVAL_EXPIRED,
        label=_("Expire the approval"),
        refused_reason=_("Only an active or suspended approval can expire."),
    ),
)

# Each table with the states it moves between (for the walk test and the diagram).
WORKFLOWS: tuple[tuple[str, type[models.TextChoices], tuple[Transition, ...]], ...] = (
    ("Submission", SubmissionStatus, TRANSITIONS),
    ("Condition of a decision", ConditionState, CONDITION_TRANSITIONS),
    ("Head's permission (JP-ERC-13)", PermissionState, PERMISSION_TRANSITIONS),
    ("Approval", ApprovalStatus, APPROVAL_TRANSITIONS),
)


class TransitionRefused(Exception):
    """An action that the workflow does not allow now, with a reason a person can read."""

    def __init__(self, reason: str | Promise):
        super().__init__(str(reason))
        self.reason = reason


def transition_for(
    action: str, current_status: str, actors: Set[StrEnum], table: tuple[Transition, ...] = TRANSITIONS
) -> Transition:
    """The transition for ``action`` from ``current_status``, or TransitionRefused saying why not."""
    transition = next(t for t in table if t.action == action)
    if not (transition.actors & actors):
        raise TransitionRefused(_("You are not allowed to do this."))
    if current_status not in transition.sources:
        raise TransitionRefused(transition.refused_reason)
    return transition


def allowed_actions(
    current_status: str, actors: Set[StrEnum], table: tuple[Transition, ...] = TRANSITIONS
) -> list[Transition]:
    """The actions these actors can take now: what the page offers as next steps."""
    return [t for t in table if current_status in t.sources and t.actors & actors]
