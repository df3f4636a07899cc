"""One committee-review engine for both committees: the same scenario (assign, declare a
conflict, review, decide with conditions) on an ethics submission and on a data-access request,
with the same behaviour asserted on each (JP-ERC-07, US-IRB-03)."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.utils import timezone

from research_governance.accounts.models import User
from research_governance.agreements import dac_services
from research_governance.agreements.dac_services import DataAccessSubject
from research_governance.audit.models import AuditEvent
from research_governance.notifications.models import Notification
from research_governance.protocols.access_services import grant_team_access
from research_governance.reviews import services as submission_services
from research_governance.reviews.engine import (
    assignment_services,
    conflict_services,
    conflicts,
    decision_services,
    review_services,
)
from research_governance.reviews.engine.ethics_services import CHECKLIST_SECTIONS, EthicsSubmission
from research_governance.reviews.engine.subject import ReviewSubject
from research_governance.reviews.workflow import TransitionRefused
from tests.agreements.support import make_dac, make_dataset, make_request
from tests.factories import UserFactory, make_complete
from tests.reviews.decisions_support import make_committee, seat

FULL_CHECKLIST = {key: {"rating": "adequate", "comment": ""} for key, _label in CHECKLIST_SECTIONS}
CONDITIONS = ["Name the storage server.", "Report the first results to the committee."]


@dataclass
class World:
    """A subject under review by its committee: an officer, two members and a member on the team."""

    kind: type[ReviewSubject]
    row: Model
    officer: User
    members: list[User]
    on_team: User
    # What a review says besides the recommendation (the ethics committee's checklist).
    review_extra: dict[str, Any] = field(default_factory=dict)

    def subject(self) -> ReviewSubject:
        """The subject as a service sees it: locked, read afresh."""
        return self.kind.lock(self.row)

    def audited(self, action: str) -> list[dict[str, Any]]:
        return list(AuditEvent.objects.filter(action=action, target_id=str(self.row.pk)).values_list("data", flat=True))

    def submit_review(self, reviewer: User) -> Any:
        assignment = assignment_services.reviewer_assign(self.subject(), by=self.officer, reviewer=reviewer)
        locked, subject = self.kind.for_assignment(assignment)
        review_services.review_save(
            subject, locked, by=reviewer, recommendation="approve", summary="Sound.", **self.review_extra
        )
        return review_services.review_submit(subject, locked, by=reviewer)


@pytest.fixture
def ethics_world(pi: User, secretariat: User) -> World:
    committee = make_committee()
    members = [seat(committee), seat(committee)]
    on_team = seat(committee)
    submission = submission_services.protocol_submit(protocol=make_complete(pi), by=pi)
    submission = submission_services.submission_accept(submission=submission, by=secretariat, route="expedited")
    grant_team_access(user=on_team, protocol=submission.protocol, can_edit=False)
    return World(EthicsSubmission, submission, secretariat, members, on_team, {"checklist": FULL_CHECKLIST})


@pytest.fixture
def data_access_world(approval: Any) -> World:
    _committee, _chair, secretary, others = make_dac()
    data_request = make_request(UserFactory(), [make_dataset(approval)], team=[others[2]])
    data_request = dac_services.request_accept(data_request=data_request, by=secretary)
    return World(DataAccessSubject, data_request, secretary, others[:2], others[2])


@pytest.fixture(params=["ethics", "data_access"])
def world(request: pytest.FixtureRequest, db: None) -> World:
    return request.getfixturevalue(f"{request.param}_world")


def test_the_whole_scenario_runs_the_same_for_both_committees(world: World) -> None:
    first, second = world.members
    rules = world.kind.rules

    # Assignment: the reviewer is told, the step audited; a member on the team is refused (JP-ERC-07).
    assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=second)
    assert Notification.objects.filter(recipient=second).exists()
    assert world.audited(rules.audit.reviewer_assigned)[0]["reviewer_id"] == second.pk
    with pytest.raises(ValidationError, match="JP-ERC-07"):
        assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=world.on_team)

    # A declared conflict withdraws the open assignment and bars a new one (US-IRB-03).
    conflict_services.conflict_declare(world.subject(), member=second, reason="My former student.")
    subject = world.subject()
    assert subject.assignments().get(reviewer=second).status == "withdrawn"
    assert subject.conflict_reason(second) == "US-IRB-03"
    assert world.audited(rules.audit.conflict_declared)[0]["review_withdrawn"] is True
    with pytest.raises(ValidationError, match="US-IRB-03"):
        assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=second)

    # No decision before a review is submitted; the review is submitted once.
    with pytest.raises(TransitionRefused, match="at least one reviewer"):
        decision_services.decision_record(world.subject(), by=world.officer, outcome="approve", reasons="Fine.")
    review = world.submit_review(first)
    assert review.status == "completed"
    assert review.completed_at is not None
    locked, subject = world.kind.for_assignment(review)
    with pytest.raises(TransitionRefused, match="can no longer change"):
        review_services.review_submit(subject, locked, by=first)

    # An approval with conditions has conditions; they are recorded one by one, in order.
    with pytest.raises(ValidationError):
        decision_services.decision_record(
            world.subject(), by=world.officer, outcome="approve_with_conditions", reasons="Fine."
        )
    decision_services.decision_record(
        world.subject(),
        by=world.officer,
        outcome="approve_with_conditions",
        reasons="Within the consent.",
        conditions=[CONDITIONS[0], "  ", CONDITIONS[1]],
    )
    subject = world.subject()
    assert subject.status == "decided"
    recorded = subject.recorded_decision()
    assert recorded is not None
    assert (recorded.outcome, recorded.reasons, recorded.conditions, recorded.decided_by_id) == (
        "approve_with_conditions",
        "Within the consent.",
        tuple(CONDITIONS),
        world.officer.pk,
    )
    [event] = world.audited(next(t.audit_action for t in world.kind.transitions if t.action == "decide"))
    assert event["conditions"] == CONDITIONS
    assert (event["from"], event["to"]) == ("accepted", "decided")


def test_only_a_current_member_is_assigned_and_only_by_an_officer(world: World) -> None:
    with pytest.raises(ValidationError, match="not a current member"):
        assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=UserFactory())
    with pytest.raises(PermissionDenied):
        assignment_services.reviewer_assign(world.subject(), by=world.members[0], reviewer=world.members[1])


def test_a_due_date_in_the_past_is_refused_and_none_means_the_committees_default(world: World) -> None:
    first, second = world.members
    with pytest.raises(ValidationError, match="in the past"):
        assignment_services.reviewer_assign(
            world.subject(), by=world.officer, reviewer=first, due_date=timezone.localdate() - timedelta(days=1)
        )
    assignment = assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=second)
    assert assignment.due_date == timezone.localdate() + timedelta(days=world.kind.rules.review_days)


def test_nobody_but_the_assigned_reviewer_writes_the_review(world: World) -> None:
    first, second = world.members
    assignment = assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=first)
    locked, subject = world.kind.for_assignment(assignment)
    with pytest.raises(PermissionDenied):
        review_services.review_save(subject, locked, by=second, recommendation="approve", summary="Mine now.")


def test_a_member_on_the_team_is_conflicted_whatever_they_declare_and_takes_no_part(world: World) -> None:
    subject = world.subject()
    assert subject.conflict_reason(world.on_team) == conflicts.ON_TEAM
    assert subject.conflict_reason(world.members[0]) == ""
    with pytest.raises(TransitionRefused, match="JP-ERC-07"):
        conflicts.refuse_conflicted(subject, world.on_team)


def test_a_declaration_needs_a_reason(world: World) -> None:
    # Assigned, the member sees the subject on either committee.
    assignment_services.reviewer_assign(world.subject(), by=world.officer, reviewer=world.members[0])
    with pytest.raises(ValidationError, match="what the conflict is"):
        conflict_services.conflict_declare(world.subject(), member=world.members[0], reason=" ")


def test_a_decision_outside_the_committees_outcomes_is_refused(world: World) -> None:
    world.submit_review(world.members[0])
    with pytest.raises(ValidationError, match="Choose the decision"):
        decision_services.decision_record(world.subject(), by=world.officer, outcome="maybe", reasons="Fine.")
    with pytest.raises(ValidationError, match="Only an approval with conditions has conditions"):
        decision_services.decision_record(
            world.subject(), by=world.officer, outcome="approve", reasons="Fine.", conditions=CONDITIONS
        )
