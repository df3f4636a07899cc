"""The ethics submission as a review subject: the ethics committee of the protocol's institution
reviews it under the protocol's rule set (JP or US) and the submission kind's rules (KIND_RULES).

Who acts is asked of the review's participants (``actors_for``) and permissions; what a decision
sets off (the protocol's status, the approval, the head's permission, the letters) is the
submission's, post-approval's and the letters hook's."""

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any, Self

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.committees.models import Committee
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import in_each_language
from research_governance.notifications.services import notify
from research_governance.protocols import access_services
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.assessment import rule_set_for
from research_governance.protocols.models import Protocol
from research_governance.reviews import permissions as review_permissions
from research_governance.reviews.hooks import letters_due
from research_governance.reviews.models import Condition, ConflictDeclaration, Decision, ReviewerAssignment, Submission
from research_governance.reviews.participants import _about, _link, _require_secretariat, _team_of, actors_for
from research_governance.reviews.post_approval.approval_services import _approval_transition, _decision_takes_effect
from research_governance.reviews.selectors import current_approval
from research_governance.reviews.submission.services import _reopen_amendment
from research_governance.reviews.workflow import (
    APPROVAL_TRANSITIONS,
    APPROVING_OUTCOMES,
    DECISION_PROTOCOL_STATUS,
    KIND_RULES,
    TRANSITIONS,
    Actor,
    DecisionOutcome,
    ReviewRoute,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    transition_for,
)

from .models import ReviewerAssignmentBase
from .subject import CommitteeAudit, CommitteeRules, RecordedDecision, ReviewSubject

# The reviewer's checklist (issue 4: scientific validity, risk and benefit, consent and its
# documents, privacy and data handling, AI and automated analysis, conflicts of interest).
CHECKLIST_SECTIONS = (
    ("scientific_validity", _("Scientific validity")),
    ("risk_benefit", _("Risk and benefit")),
    ("consent", _("Consent and its documents")),
    ("privacy", _("Privacy and data handling")),
    ("ai", _("AI and automated analysis: bias, explainability, data sent to external AI services")),
    ("conflicts", _("Conflicts of interest")),
)
VOTE_KEYS = ("for", "against", "abstain")

ETHICS_RULES = CommitteeRules(
    committee_kind=Committee.Kind.ETHICS,
    audit=CommitteeAudit(
        reviewer_assigned=AuditAction.REVIEW_REVIEWER_ASSIGNED,
        reviewer_unassigned=AuditAction.REVIEW_REVIEWER_UNASSIGNED,
        conflict_declared=AuditAction.REVIEW_CONFLICT_DECLARED,
        review_submitted=AuditAction.REVIEW_SUBMITTED,
    ),
    review_statuses=frozenset({SubmissionStatus.ACCEPTED}),
    checklist=CHECKLIST_SECTIONS,
)


def clean_votes(votes: Any) -> dict[str, int]:
    if (
        not isinstance(votes, dict)
        or set(votes) != set(VOTE_KEYS)
        or not all(isinstance(votes[key], int) and votes[key] >= 0 for key in VOTE_KEYS)
    ):
        raise ValidationError(gettext("The votes must give the numbers for, against and abstaining."))
    return {key: votes[key] for key in VOTE_KEYS}


class EthicsSubmission(ReviewSubject):
    """A submission (initial application, amendment or report) before the ethics committee."""

    rules = ETHICS_RULES
    transitions = TRANSITIONS
    assignment_model = ReviewerAssignment
    declaration_model = ConflictDeclaration
    subject_field = "submission"

    row: Submission

    def __init__(self, row: Submission, protocol: Protocol | None = None) -> None:
        super().__init__(row)
        self.protocol = protocol or row.protocol
        # The decision's particulars as check_decision cleaned them (route, rule set, approval).
        self.particulars: dict[str, Any] = {}

    @classmethod
    def lock(cls, row: Model) -> Self:
        locked = Submission.objects.select_for_update().get(pk=row.pk)
        protocol = Protocol.objects.select_for_update().get(pk=locked.protocol_id)
        locked.protocol = protocol
        return cls(locked, protocol)

    @classmethod
    def for_assignment(cls, assignment: ReviewerAssignmentBase) -> tuple[ReviewerAssignment, Self]:
        """The assignment locked, with its submission (and protocol) as a subject."""
        locked = (
            ReviewerAssignment.objects.select_for_update().select_related("submission__protocol").get(pk=assignment.pk)
        )
        return locked, cls(locked.submission)

    @classmethod
    def for_condition(cls, condition: Condition, by: User) -> tuple[Condition, Self]:
        """The condition locked, with its submission as a subject; 403 for who may not see the protocol."""
        locked = Condition.objects.select_for_update().select_related("decision__submission").get(pk=condition.pk)
        protocol = Protocol.objects.get(pk=locked.decision.submission.protocol_id)
        if not protocol_permissions.can_view(by, protocol):
            raise PermissionDenied
        return locked, cls(locked.decision.submission, protocol)

    # ---- who -----------------------------------------------------------------------------------------------------

    def actors_for(self, user: User) -> set[StrEnum]:
        return set(actors_for(user, self.protocol))

    def committee_members(self) -> QuerySet[User]:
        return User.objects.filter(pk__in=review_permissions.ethics_committee_members(self.row).values("user_id"))

    def require_officer(self, user: User) -> None:
        _require_secretariat(user, self.protocol)

    def require_decider(self, user: User) -> None:
        if not protocol_permissions.can_view(user, self.protocol):
            raise PermissionDenied

    def require_declarer(self, user: User) -> None:
        if not review_permissions.ethics_committee_members(self.row).filter(user=user).exists():
            raise PermissionDenied

    def may_review(self, user: User | AnonymousUser) -> bool:
        return review_permissions.can_review(user, self.row)

    def conflict_reason(self, user: User) -> str:
        return review_permissions.conflict_reason(user, self.row)

    # ---- records and notices -------------------------------------------------------------------------------------

    def audit(self, *, by: User | None, action: AuditAction, data: dict[str, Any]) -> None:
        audit_record(actor=by, action=action, target=self.row, protocol=self.protocol, data=data)

    def assignment_made(self, assignment: ReviewerAssignmentBase) -> None:
        review_permissions.grant_review_access(user=assignment.reviewer, submission=self.row)

    def assignment_withdrawn(self, assignment: ReviewerAssignmentBase) -> None:
        review_permissions.revoke_review_access(user=assignment.reviewer, submission=self.row)

    def notify_assigned(self, assignment: ReviewerAssignmentBase) -> None:
        """The reviewer is told by the hand-off (next_steps.review_steps.REVIEW), once, with the
        workspace's link."""
        announce(protocol_ids=[self.protocol.pk], by=assignment.assigned_by)

    def review_problems(self, assignment: ReviewerAssignmentBase) -> list[str]:
        if (
            assignment.recommendation == ReviewerAssignment.Recommendation.NOT_APPROVED
            and self.row.route == ReviewRoute.EXPEDITED
            and rule_set_for(self.protocol) == "US"
        ):
            # US-IRB-05: an expedited reviewer cannot disapprove; only the convened board can.
            return [
                gettext(
                    "An expedited reviewer cannot recommend disapproval (US-IRB-05); recommend revision, or ask the "
                    "secretariat to refer the submission to the full board."
                )
            ]
        return []

    # ---- the decision --------------------------------------------------------------------------------------------

    def outcomes(self) -> Sequence[str]:
        return KIND_RULES[self.row.kind].outcomes

    def outcome_refused(self, outcome: str) -> str:
        return gettext("“%(outcome)s” is not a decision on a %(kind)s; choose one of: %(choices)s.") % {
            "outcome": DecisionOutcome(outcome).label,
            "kind": self.row.get_kind_display().lower(),
            "choices": ", ".join(str(DecisionOutcome(choice).label) for choice in self.outcomes()),
        }

    def check_decision(self, outcome: str, particulars: dict[str, Any]) -> dict[str, Any]:
        """The route (JP-ERC-10, US-IRB-05): a full-board decision is taken at a meeting, with the
        votes; an expedited one is not, and under the US rule set it cannot disapprove. A final
        report's acknowledgement closes the approval, which must still be open (JP-R-07)."""
        meeting_item_id = particulars.get("meeting_item_id")
        votes = particulars.get("votes")
        rule_set = rule_set_for(self.protocol)
        if self.row.route == ReviewRoute.FULL_BOARD:
            if meeting_item_id is None or votes is None:
                raise TransitionRefused(
                    gettext(
                        "This submission is on the full-board route: its decision is recorded at a meeting, "
                        "with the agenda item and the votes."
                    )
                )
            votes = clean_votes(votes)
        else:
            if meeting_item_id is not None or votes is not None:
                raise ValidationError(gettext("An expedited decision is not taken at a meeting; it has no votes."))
            if outcome == DecisionOutcome.NOT_APPROVED and rule_set == "US":
                raise TransitionRefused(
                    gettext(
                        "An expedited review cannot disapprove (US-IRB-05): disapproval needs the convened board. "
                        "Decide “revise and resubmit”, or refer the submission to the full board."
                    )
                )
        rules = KIND_RULES[self.row.kind]
        approval = None if rules.moves_protocol else current_approval(self.protocol)
        if rules.closes_approval and outcome == DecisionOutcome.ACKNOWLEDGE:
            # JP-R-07: the final report closes the approval; it must still be open.
            transition_for("close", approval.status if approval else "", {Actor.SECRETARIAT}, APPROVAL_TRANSITIONS)
        return {**particulars, "votes": votes, "rule_set": rule_set, "approval": approval}

    def decision_needs_review(self, particulars: dict[str, Any]) -> bool:
        return self.row.route != ReviewRoute.FULL_BOARD and KIND_RULES[self.row.kind].needs_review

    def decision_problems(self, outcome: str, particulars: dict[str, Any]) -> list[str]:
        validity_months = particulars.get("validity_months")
        if validity_months is not None and not 1 <= validity_months <= 120:
            return [gettext("The approval period is between 1 and 120 months.")]
        return []

    def store_decision(
        self, *, by: User, outcome: str, reasons: str, conditions: list[str], at: datetime, particulars: dict[str, Any]
    ) -> Decision:
        locked, protocol = self.row, self.protocol
        rules = KIND_RULES[locked.kind]
        rule_set = particulars["rule_set"]
        locked.save(update_fields=["status", "status_changed_at"])
        decision = Decision.objects.create(
            submission=locked,
            outcome=outcome,
            reasons=reasons,
            decided_at=at,
            decided_by=by,
            route=locked.route,
            meeting_item_id=particulars.get("meeting_item_id"),
            votes=particulars.get("votes"),
            validity_months=particulars.get("validity_months"),
            needs_permission=rule_set == "JP" and rules.head_permits and outcome in APPROVING_OUTCOMES,
        )
        Condition.objects.bulk_create(
            Condition(decision=decision, number=number, text=text) for number, text in enumerate(conditions, 1)
        )
        if rules.moves_protocol:
            protocol.status = DECISION_PROTOCOL_STATUS[(outcome, rule_set)]
        elif locked.kind == SubmissionKind.AMENDMENT and outcome == DecisionOutcome.REVISE:
            _reopen_amendment(protocol)
        protocol.save(update_fields=["status", "amendment_open", "lock_version", "updated_at"])
        access_services.restamp_dashboards(protocol=protocol)
        self.particulars = particulars
        return decision

    def decision_audit_data(self, decision: Decision) -> dict[str, Any]:
        return {
            "kind": self.row.kind,
            "version": self.row.version.number,
            "route": decision.route,
            "rule_set": self.particulars["rule_set"],
            "validity_months": decision.validity_months,
            "meeting_item_id": decision.meeting_item_id,
            "votes": decision.votes,
            "needs_permission": decision.needs_permission,
        }

    def after_decision(self, decision: Decision, *, by: User) -> None:
        protocol, outcome = self.protocol, decision.outcome
        rules = KIND_RULES[self.row.kind]
        approval = self.particulars["approval"]
        if outcome in APPROVING_OUTCOMES and not decision.needs_permission:
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
        # Whoever the decision hands work to (conditions to answer, a revision, the head's
        # permission) is told that, once; the rest of the team is told the decision.
        handed = {n.recipient_id for n in announce(protocol_ids=[protocol.pk], by=by)}
        team = _team_of(protocol).exclude(pk__in=handed)
        notify(
            recipients=team,
            kind="decision.recorded",
            params=params,
            link=_link(protocol),
            protocol=protocol,
        )
        if decision.route == ReviewRoute.EXPEDITED:
            # JP-ERC-10 / US-IRB-05: an expedited result is the committee's opinion; every member is told.
            members = self.committee_members().exclude(pk__in=team.values("pk"))
            notify(recipients=members, kind="decision.recorded", params=params, protocol=protocol)
        letters_due(decision_id=decision.pk, kind="decision")

    def recorded_decision(self) -> RecordedDecision | None:
        decision = Decision.objects.filter(submission=self.row).first()
        if decision is None:
            return None
        return RecordedDecision(
            outcome=decision.outcome,
            reasons=decision.reasons,
            conditions=tuple(decision.conditions.order_by("number").values_list("text", flat=True)),
            decided_by_id=decision.decided_by_id,
            decided_at=decision.decided_at,
        )
