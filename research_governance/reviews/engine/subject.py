"""What a reviewable thing tells the engine: ``ReviewSubject``, the adapter each committee's
subject implements (``ethics_services.EthicsSubmission``, ``agreements.dac_services.DataAccessSubject``),
and ``CommitteeRules``, the words and switches that differ between committees.

The engine asks the adapter, never the subject's models: how to lock it, who may act on it (its
officers; its committee's members), who is conflicted and why (JP-ERC-07 team, US-IRB-03
declared), its workflow table and actors, the audit action of each step, whom to tell, and what a
decision writes and sets off."""

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Self

from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction

from .models import ConflictDeclarationBase, ReviewerAssignmentBase


@dataclass(frozen=True)
class CommitteeAudit:
    """The audit action each step of the committee's review writes."""

    reviewer_assigned: AuditAction
    # None: the committee does not take reviewers off (a declared conflict still withdraws one).
    reviewer_unassigned: AuditAction | None
    conflict_declared: AuditAction
    review_submitted: AuditAction


@dataclass(frozen=True)
class CommitteeMessages:
    """What the committee's people read when the engine refuses (each names the committee's subject)."""

    # Reviewers are assigned, and write, only while the subject is under review.
    not_under_review: Promise
    review_closed: Promise
    # %(name)s
    not_a_member: Promise
    # %(name)s, %(rule)s
    reviewer_conflicted: Promise
    # %(rule)s
    decider_conflicted: Promise
    conditions_missing: Promise
    # When the committee asks every review to say something (CommitteeRules.summary_required).
    summary_missing: Promise | None = None


@dataclass(frozen=True)
class CommitteeRules:
    """How one committee goes through the engine."""

    committee_kind: str
    audit: CommitteeAudit
    # The subject's statuses in which reviewers are assigned and write their reviews.
    review_statuses: frozenset[str]
    # The reviewer's checklist (section key, label); a review is submitted with every section rated.
    checklist: tuple[tuple[str, Promise], ...] = field(default=())
    # A review is submitted with a summary (comments for the committee).
    summary_required: bool = False
    # A decision is recorded with its reasons.
    reasons_required: bool = False
    # A reviewer's time when the officer gives no due date.
    review_days: int = 14

    @property
    def messages(self) -> CommitteeMessages:
        """The committee's words (``messages``)."""
        from .messages import MESSAGES

        return MESSAGES[self.committee_kind]


@dataclass(frozen=True)
class RecordedDecision:
    """A committee's decision as the engine reads it back, whichever row it is stored in."""

    outcome: str
    reasons: str
    conditions: tuple[str, ...]
    decided_by_id: int
    decided_at: datetime


class ReviewSubject(ABC):
    """One reviewable thing, wrapped for the engine. ``row`` is its model instance (locked when the
    adapter was made by ``lock``); its ``status`` and ``status_changed_at`` move along ``transitions``."""

    rules: ClassVar[CommitteeRules]
    transitions: ClassVar[tuple[Any, ...]]
    assignment_model: ClassVar[type[ReviewerAssignmentBase]]
    declaration_model: ClassVar[type[ConflictDeclarationBase]]
    # The name of the foreign key from the assignment and declaration rows to the subject.
    subject_field: ClassVar[str]

    def __init__(self, row: Any) -> None:
        self.row = row

    # ---- the subject and its rows ----------------------------------------------------------------------------------

    @classmethod
    @abstractmethod
    def lock(cls, row: Model) -> Self:
        """The adapter on the subject's row (and what moves with it) locked for update."""

    @classmethod
    def for_assignment(cls, assignment: ReviewerAssignmentBase) -> tuple[Any, Self]:
        """The assignment locked, with its subject."""
        locked = (
            cls.assignment_model.objects.select_for_update().select_related(cls.subject_field).get(pk=assignment.pk)
        )
        return locked, cls(getattr(locked, cls.subject_field))

    @property
    def status(self) -> str:
        return str(self.row.status)

    def assignments(self) -> QuerySet[Any]:
        return self.assignment_model.objects.filter(**{self.subject_field: self.row})

    def declarations(self) -> QuerySet[Any]:
        return self.declaration_model.objects.filter(**{self.subject_field: self.row})

    # ---- who -----------------------------------------------------------------------------------------------------

    @abstractmethod
    def actors_for(self, user: User) -> set[StrEnum]:
        """The workflow actors the user is for this subject (``transitions``)."""

    @abstractmethod
    def committee_members(self) -> QuerySet[User]:
        """The current members who may review it and must declare conflicts on it."""

    @abstractmethod
    def require_officer(self, user: User) -> None:
        """PermissionDenied unless the user may assign reviewers (the committee's officers)."""

    @abstractmethod
    def require_decider(self, user: User) -> None:
        """PermissionDenied unless the user may record the decision (the workflow then says when)."""

    @abstractmethod
    def require_declarer(self, user: User) -> None:
        """PermissionDenied unless the user may declare a conflict on it (a member who sees it)."""

    @abstractmethod
    def may_review(self, user: User) -> bool:
        """Whether the user may work on their own assignment now (no conflict, still granted)."""

    @abstractmethod
    def conflict_reason(self, user: User) -> str:
        """The rule that conflicts the user on it ("" when none): ``conflicts.conflict_reason``."""

    # ---- what each step records and tells -------------------------------------------------------------------------

    @abstractmethod
    def audit(self, *, by: User | None, action: AuditAction | str, data: dict[str, Any]) -> None:
        """Write the audit event about the subject (in the caller's transaction)."""

    def assignment_made(self, assignment: ReviewerAssignmentBase) -> None:
        """What else an assignment grants (the ethics side's access to the frozen version)."""
        return None

    def assignment_withdrawn(self, assignment: ReviewerAssignmentBase) -> None:
        """What ends with an assignment."""
        return None

    @abstractmethod
    def notify_assigned(self, assignment: ReviewerAssignmentBase) -> None:
        """Tell the reviewer (after commit: ``notify`` uses the outbox)."""

    def review_problems(self, assignment: ReviewerAssignmentBase) -> list[str]:
        """What this subject's rules refuse in a review about to be submitted (e.g. US-IRB-05)."""
        return []

    # ---- the decision ---------------------------------------------------------------------------------------------

    @abstractmethod
    def outcomes(self) -> Sequence[str]:
        """The decisions open to the committee on this subject."""

    def outcome_refused(self, outcome: str) -> str:
        """Why ``outcome`` (a known decision) is not open on this subject."""
        return gettext("Choose the decision.")

    def check_decision(self, outcome: str, particulars: dict[str, Any]) -> dict[str, Any]:
        """Refuse (TransitionRefused, ValidationError) what the subject's route does not allow, and
        return its particulars cleaned (the ethics side's meeting item and votes)."""
        return particulars

    def decision_needs_review(self, particulars: dict[str, Any]) -> bool:
        """Whether the decision waits for at least one submitted review."""
        return True

    def decision_problems(self, outcome: str, particulars: dict[str, Any]) -> list[str]:
        """Further reasons the decision cannot be recorded as asked (listed with the engine's own)."""
        return []

    @abstractmethod
    def store_decision(
        self, *, by: User, outcome: str, reasons: str, conditions: list[str], at: datetime, particulars: dict[str, Any]
    ) -> Any:
        """Save the subject's new status (already set by the engine) and the decision with its
        conditions; return what the service returns."""

    def decision_audit_data(self, decision: Any) -> dict[str, Any]:
        """What the decision's audit event says beyond the engine's own fields."""
        return {}

    @abstractmethod
    def after_decision(self, decision: Any, *, by: User) -> None:
        """What the decision sets off (approval, agreement, letters) and whom it tells."""

    @abstractmethod
    def recorded_decision(self) -> RecordedDecision | None:
        """The decision on the subject, if any, read back."""
