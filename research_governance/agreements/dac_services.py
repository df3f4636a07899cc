"""The data access committee's side of a request, through the committee-review engine
(``reviews.engine``) that the ethics committee uses too.

- The committee's officers (chair and secretariat of the provider institution's data access
  committee, unconflicted) accept or return a request, assign reviewers and record the decision.
- Assigned members write their review; any member who sees the request may declare a conflict,
  after which they see nothing of it and their open review is withdrawn (US-IRB-03); members on
  the requesting team or the providing study's team are conflicted whatever they declare (JP-ERC-07).
- An approving decision creates the agreement (``DSA-2026-00001``) and queues its document; what
  follows (signatures, terms, grants) is ``agreement_services``.

``DataAccessSubject`` is the request as the engine's subject: the particulars of data access
(the automatic checks run again at the decision, the agreement) plug in there. Every service
locks the rows it changes, checks permission, asks the workflow table, records the audit event
in the same transaction and notifies after commit (``notify``)."""

from collections.abc import Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Self, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.committees.models import Committee
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import in_each_language
from research_governance.notifications.services import notify
from research_governance.reviews.engine import (
    assignment_services,
    conflict_services,
    decision_services,
    review_services,
)
from research_governance.reviews.engine.models import ReviewerAssignmentBase
from research_governance.reviews.engine.subject import (
    CommitteeAudit,
    CommitteeRules,
    RecordedDecision,
    ReviewSubject,
)
from research_governance.reviews.workflow import DecisionOutcome, transition_for

from . import permissions
from .dac_selectors import REVIEW_DAYS, dac_members
from .models import Agreement, DataAccessRequest, RequestConflict, RequestReview
from .services import actors_for, request_about, request_link, requesting_team
from .workflow import APPROVING_REQUEST_OUTCOMES, REQUEST_OUTCOMES, REQUEST_TRANSITIONS, AgreementStatus, RequestStatus

DAC_RULES = CommitteeRules(
    committee_kind=Committee.Kind.DATA_ACCESS,
    audit=CommitteeAudit(
        reviewer_assigned=AuditAction.DATA_REQUEST_REVIEWER_ASSIGNED,
        reviewer_unassigned=None,
        conflict_declared=AuditAction.DATA_REQUEST_CONFLICT_DECLARED,
        review_submitted=AuditAction.DATA_REQUEST_REVIEW_SUBMITTED,
    ),
    review_statuses=frozenset({RequestStatus.ACCEPTED}),
    summary_required=True,
    reasons_required=True,
    review_days=REVIEW_DAYS,
)


def _lock_request(data_request: DataAccessRequest) -> DataAccessRequest:
    return DataAccessRequest.objects.select_for_update().select_related("requester").get(pk=data_request.pk)


def _visible_or_refused(by: User, locked: DataAccessRequest) -> None:
    # Someone who may not see the request learns nothing of it (the views answer 404).
    if not permissions.can_view_request(by, locked):
        raise PermissionDenied


def _require_officer(by: User, locked: DataAccessRequest) -> None:
    """Pre-screen, assign, decide and sign for the provider: an unconflicted officer (JP-ERC-07, US-IRB-03)."""
    _visible_or_refused(by, locked)
    if not permissions.can_act_as_officer(by, locked):
        raise PermissionDenied


class DataAccessSubject(ReviewSubject):
    """A data-access request before the provider institution's data access committee."""

    rules = DAC_RULES
    transitions = REQUEST_TRANSITIONS
    assignment_model = RequestReview
    declaration_model = RequestConflict
    subject_field = "request"

    row: DataAccessRequest

    @classmethod
    def lock(cls, row: Model) -> Self:
        return cls(_lock_request(cast(DataAccessRequest, row)))

    def actors_for(self, user: User) -> set[StrEnum]:
        return set(actors_for(user, self.row))

    def committee_members(self) -> QuerySet[User]:
        return dac_members(self.row.institution_id)

    def require_officer(self, user: User) -> None:
        _require_officer(user, self.row)

    def require_decider(self, user: User) -> None:
        _require_officer(user, self.row)

    def require_declarer(self, user: User) -> None:
        _visible_or_refused(user, self.row)
        if not self.committee_members().filter(pk=user.pk).exists():
            raise PermissionDenied

    def may_review(self, user: User) -> bool:
        return not self.conflict_reason(user)

    def conflict_reason(self, user: User) -> str:
        return permissions.conflict_reason(user, self.row)

    def audit(self, *, by: User | None, action: AuditAction, data: dict[str, Any]) -> None:
        audit_record(actor=by, action=action, target=self.row, data=data)

    def notify_assigned(self, assignment: ReviewerAssignmentBase) -> None:
        # The reviewer is asked to declare any conflict and review: the hand-off.
        announce(request_ids=[self.row.pk], by=assignment.assigned_by)

    def outcomes(self) -> Sequence[str]:
        return REQUEST_OUTCOMES

    def decision_problems(self, outcome: str, particulars: dict[str, Any]) -> list[str]:
        """The automatic checks are run again: the committee cannot approve a request they refuse
        now (a dataset's approval may have lapsed since it was submitted)."""
        from .assessment import assess_request, present

        if outcome not in APPROVING_REQUEST_OUTCOMES:
            return []
        assessment = assess_request(self.row)
        if assessment.get("permitted", False):
            return []
        shown = present(assessment) or {"checks": []}
        failing = [f"{check['text']} ({check['rule_id']})" for check in shown["checks"] if not check["passed"]]
        return [
            gettext("The automatic checks refuse this request now; it cannot be approved: %(checks)s")
            % {"checks": "; ".join(failing) or gettext("see the checks")}
        ]

    def store_decision(
        self, *, by: User, outcome: str, reasons: str, conditions: list[str], at: datetime, particulars: dict[str, Any]
    ) -> DataAccessRequest:
        locked = self.row
        locked.outcome = outcome
        locked.decision_reasons = reasons
        # Printed in the agreement as written, one condition a line.
        locked.decision_conditions = "\n".join(conditions)
        locked.decided_by = by
        locked.decided_at = at
        locked.save()
        return locked

    def after_decision(self, decision: DataAccessRequest, *, by: User) -> None:
        locked = self.row
        # The requesting team is told in ``decision_record``, after the hand-offs of the agreement.
        if locked.outcome in APPROVING_REQUEST_OUTCOMES:
            _agreement_create(locked, by, locked.decided_at or timezone.now())

    def recorded_decision(self) -> RecordedDecision | None:
        row = self.row
        if not row.outcome or row.decided_by_id is None or row.decided_at is None:
            return None
        return RecordedDecision(
            outcome=row.outcome,
            reasons=row.decision_reasons,
            conditions=tuple(line for line in row.decision_conditions.splitlines() if line.strip()),
            decided_by_id=row.decided_by_id,
            decided_at=row.decided_at,
        )


# ---- the committee's side of a request -------------------------------------------------------------------------------


def _move(locked: DataAccessRequest, by: User, action: str, **changes: Any) -> None:
    transition = transition_for(action, locked.status, actors_for(by, locked), REQUEST_TRANSITIONS)
    previous = locked.status
    locked.status = transition.target
    locked.status_changed_at = timezone.now()
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.save()
    audit_record(
        actor=by,
        action=transition.audit_action,
        target=locked,
        data={"from": previous, "to": locked.status, **{k: v for k, v in changes.items() if isinstance(v, str)}},
    )


@transaction.atomic
def request_accept(*, data_request: DataAccessRequest, by: User) -> DataAccessRequest:
    """An officer accepts a submitted request for review by the committee."""
    locked = _lock_request(data_request)
    _require_officer(by, locked)
    _move(locked, by, "accept")
    announce(request_ids=[locked.pk], by=by)
    return locked


@transaction.atomic
def request_return(*, data_request: DataAccessRequest, by: User, reasons: str) -> DataAccessRequest:
    """An officer returns a submitted request with what the requester must change; the requester
    edits it and submits it again."""
    locked = _lock_request(data_request)
    _require_officer(by, locked)
    if not reasons.strip():
        raise ValidationError(gettext("Say what the requester must change."))
    _move(locked, by, "return", return_reason=reasons.strip())
    # The requester is told to answer the requests and submit again (the hand-off).
    announce(request_ids=[locked.pk], by=by)
    return locked


@transaction.atomic
def reviewer_assign(
    *, data_request: DataAccessRequest, by: User, reviewer: User, due_date: date | None = None
) -> RequestReview:
    """An officer assigns a current, unconflicted member of the committee to review an accepted
    request. This grants nothing but the review row: the member then sees the request."""
    subject = DataAccessSubject.lock(data_request)
    # The engine calls ``notify_assigned``, which announces the review to the reviewer.
    assignment = assignment_services.reviewer_assign(subject, by=by, reviewer=reviewer, due_date=due_date)
    return cast(RequestReview, assignment)


@transaction.atomic
def conflict_declare(*, data_request: DataAccessRequest, member: User, reason: str) -> RequestConflict:
    """A member of the committee who sees the request declares a conflict of interest (US-IRB-03).
    From then on they see nothing of it; an open review of theirs is withdrawn."""
    subject = DataAccessSubject.lock(data_request)
    declaration = conflict_services.conflict_declare(subject, member=member, reason=reason)
    announce(request_ids=[subject.row.pk], by=member)
    return cast(RequestConflict, declaration)


@transaction.atomic
def review_submit(*, review: RequestReview, by: User, recommendation: str, comments: str) -> RequestReview:
    """The assigned reviewer submits their review once: a recommendation and comments."""
    locked, subject = DataAccessSubject.for_assignment(review)
    review_services.review_save(subject, locked, by=by, recommendation=recommendation, summary=comments)
    review_services.review_submit(subject, locked, by=by)
    announce(request_ids=[subject.row.pk], by=by)
    return cast(RequestReview, locked)


@transaction.atomic
def decision_record(
    *, data_request: DataAccessRequest, by: User, outcome: str, reasons: str, conditions: str = ""
) -> DataAccessRequest:
    """An officer records the committee's decision once at least one review is submitted. An
    approving decision creates the agreement, awaiting both parties' signatures.

    The automatic checks are run again: the committee cannot approve a request they refuse now.
    "Revise" ends this request; the requester files a new one by copy (renewal)."""
    subject = DataAccessSubject.lock(data_request)
    decided = cast(
        DataAccessRequest,
        decision_services.decision_record(
            subject, by=by, outcome=outcome, reasons=reasons, conditions=conditions.splitlines()
        ),
    )
    # After an approval the requester is asked to sign and each team member to accept the terms;
    # whoever that hand-off reaches is not told the decision a second time.
    handed = {notification.recipient_id for notification in announce(request_ids=[decided.pk], by=by)}
    notify(
        recipients=[user for user in requesting_team(decided) if user.pk not in handed],
        kind="data_request.decided",
        params={**request_about(decided), "decision": in_each_language(DecisionOutcome(decided.outcome).label)},
        link=request_link(decided),
    )
    return decided


def agreement_reference(data_request: DataAccessRequest, on: date) -> str:
    # One agreement per request: the request's number makes the reference unique.
    return f"DSA-{on:%Y}-{data_request.pk:05d}"


def _agreement_create(locked: DataAccessRequest, by: User, now: datetime) -> Agreement:
    from .document import new_verification_code, queue_document

    term_start, term_end, destruction_due = locked.term_start, locked.term_end, locked.destruction_date
    # Submitting checks the request has all three (services.missing_for_submission), so a decided one does.
    assert term_start is not None
    assert term_end is not None
    assert destruction_due is not None
    term = {"term_start": term_start, "term_end": term_end, "destruction_due": destruction_due}
    agreement = Agreement.objects.create(
        request=locked,
        reference=agreement_reference(locked, timezone.localdate(now)),
        status=AgreementStatus.AWAITING_SIGNATURES,
        **term,
        status_changed_at=now,
        created_at=now,
        verification_code=new_verification_code(),
    )
    facts = {"reference": agreement.reference, "request": locked.reference}
    facts |= {name: day.isoformat() for name, day in term.items()}
    audit_record(actor=by, action=AuditAction.AGREEMENT_CREATED, target=agreement, data=facts)
    queue_document(agreement)
    return agreement
