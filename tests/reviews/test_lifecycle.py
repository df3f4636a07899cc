"""The whole way of an application through the committee, on PostgreSQL, through the services:
submit, return with requests, resubmit, full board (a meeting without quorum cannot decide,
one with quorum approves with conditions), conditions answered and signed off, the head
permits, the approval is active; then after approval an amendment (a minor change, expedited,
permitted by the head), a progress report and the final report that closes the approval; and
the expedited route to the same end."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from research_governance.accounts.models import Role, RoleMembership
from research_governance.committees.models import CommitteeMembership
from research_governance.notifications.models import Notification
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import Approval
from research_governance.reviews.workflow import TransitionRefused
from tests.committees.support import make_committee
from tests.factories import PASSWORD, UserFactory, make_complete
from tests.reviews.meeting.support import SIX, meeting_with_item, vote_all

DUE = timezone.localdate() + timedelta(days=14)


@pytest.fixture
def head(db):
    return UserFactory(email="head@test.example", roles=[Role.HEAD])


@pytest.fixture
def chair(db):
    return UserFactory(email="chair@test.example", roles=[Role.CHAIR, Role.COMMITTEE_MEMBER])


def review(assignment, reviewer, recommendation):
    services.conflict_declare(submission=assignment.submission, member=reviewer, has_conflict=False, reason="")
    checklist = {
        key: {"rating": "adequate", "comment": ""}
        for key in ("scientific_validity", "risk_benefit", "consent", "privacy", "ai", "conflicts")
    }
    services.review_save(
        assignment=assignment, by=reviewer, checklist=checklist, recommendation=recommendation, summary="Sound."
    )
    return services.review_submit(assignment=assignment, by=reviewer)


@pytest.mark.django_db
def test_full_board_from_submission_to_an_active_approval(pi, secretariat, chair, head):
    committee, members = make_committee(SIX)
    protocol = make_complete(pi)

    first = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_return(submission=first, by=secretariat, requests=["Explain the sample size."])
    services.request_answer(request=first.requests.get(), by=pi, response="A power analysis is attached.")
    second = services.protocol_submit(protocol=protocol, by=pi)
    assert second.round == 2
    services.submission_accept(submission=second, by=secretariat, route="full_board")

    assignment = services.reviewer_assign(submission=second, by=secretariat, reviewer=members[0].user, due_date=DUE)
    review(assignment, members[0].user, "approve_with_conditions")

    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(hours=1), location="Room 1"
    )
    item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=second)
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members[:3])
    with pytest.raises(ValidationError, match="JP-ERC-0"):  # JP-ERC-06: too few present to decide
        meeting_services.item_decide(item=item, by=secretariat, outcome="approve", reasons="Sound.", conditions=())
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    vote_all(item, members, ["for"] * len(members))
    meeting_services.item_decide(
        item=item,
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="Sound design; the consent form needs one change.",
        conditions=["Add the withdrawal contact to the consent form."],
    )
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.AWAITING_PERMISSION
    decision = second.decision
    assert decision.votes == {"for": 6, "against": 0, "abstain": 0}

    condition = decision.conditions.get()
    with pytest.raises(TransitionRefused, match="signed off"):
        services.head_permit(decision=decision, by=head)  # the condition is not signed off yet
    services.condition_answer(condition=condition, by=pi, response="Added in consent form v1.1.")
    services.condition_sign_off(condition=condition, by=chair, meaning="approval", password=PASSWORD)
    condition.refresh_from_db()
    assert condition.signature_name == chair.display_name  # US-R-01: printed name, time and meaning
    assert condition.signature_meaning == "approval"
    assert condition.signed_off_at is not None

    services.head_permit(decision=decision, by=head)  # JP-ERC-13: the head permits after the opinion
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.APPROVED
    approval = Approval.objects.get(protocol=protocol)
    assert approval.status == "active"
    assert approval.valid_until > approval.valid_from
    assert Notification.objects.filter(recipient=pi, kind="permission.granted").exists()
    assert approval.version == second.version

    # An amendment: the application opens again while the approval stays in force.
    services.amendment_start(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    assert protocol.is_editable
    assert protocol.status == ProtocolStatus.APPROVED
    protocol.target_participants = 140
    protocol.save()
    amendment = services.protocol_submit(
        protocol=protocol, by=pi, changes_summary="Enrol 140 instead of 120.", minor_change=True
    )
    assert amendment.kind == "amendment"
    assert amendment.version.number == second.version.number + 1
    assert amendment.version.snapshot["form"]["target_participants"] == 140
    services.submission_accept(submission=amendment, by=secretariat, route="expedited")  # JP-ERC-10: minor
    review(
        services.reviewer_assign(submission=amendment, by=secretariat, reviewer=members[1].user, due_date=DUE),
        members[1].user,
        "approve",
    )
    amended = services.decision_record(submission=amendment, by=chair, outcome="approve", reasons="Justified.")
    approval.refresh_from_db()
    assert approval.version == second.version  # not in force until the head permits (JP-ERC-13)
    services.head_permit(decision=amended, by=head)
    approval.refresh_from_db()
    protocol.refresh_from_db()
    assert approval.version == amendment.version
    assert protocol.status == ProtocolStatus.APPROVED
    assert Approval.objects.filter(protocol=protocol).count() == 1

    # A progress report at the protocol's interval (JP-R-01), acknowledged without a meeting.
    today = timezone.localdate()
    progress = services.report_submit(
        protocol=protocol,
        by=pi,
        kind="progress_report",
        data={
            "period_from": approval.valid_from,
            "period_to": today,
            "participants_enrolled": 35,
            "summary": "Recruitment on plan.",
        },
    )
    assert progress.version == amendment.version  # a report refers to the version in force
    services.submission_accept(submission=progress, by=secretariat, route="expedited")
    services.decision_record(submission=progress, by=chair, outcome="acknowledge", reasons="Noted.")

    # The final report closes the approval and the protocol (JP-R-07).
    final = services.report_submit(
        protocol=protocol,
        by=pi,
        kind="final_report",
        data={
            "completed_on": today,
            "participants_enrolled": 138,
            "results_summary": "Primary endpoint met.",
            "summary": "Completed as planned.",
        },
    )
    services.submission_accept(submission=final, by=secretariat, route="expedited")
    services.decision_record(submission=final, by=chair, outcome="acknowledge", reasons="Thank you.")
    approval.refresh_from_db()
    protocol.refresh_from_db()
    assert approval.status == "closed"
    assert protocol.status == ProtocolStatus.CLOSED
    with pytest.raises(TransitionRefused):
        services.report_submit(
            protocol=protocol,
            by=pi,
            kind="progress_report",
            data={"period_from": today, "period_to": today, "participants_enrolled": 1, "summary": "Late."},
        )


@pytest.mark.django_db
def test_expedited_review_reaches_the_same_approval_and_is_reported_to_all_members(pi, secretariat, head):
    _committee, members = make_committee(SIX)
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=members[1].user, due_date=DUE)
    review(assignment, members[1].user, "approve")
    decision = services.decision_record(
        submission=submission, by=secretariat, outcome="approve", reasons="Minimal risk."
    )
    told = set(Notification.objects.filter(kind="decision.recorded").values_list("recipient_id", flat=True))
    assert {m.user_id for m in members} <= told  # JP-ERC-10: reported to all members
    services.head_permit(decision=decision, by=head)
    assert Approval.objects.get(decision=decision).status == "active"


@pytest.mark.django_db
def test_the_chair_records_the_meetings_decision(pi, secretariat):
    committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    chair_seat = members[0]
    chair_seat.role = CommitteeMembership.Role.CHAIR
    chair_seat.save()
    RoleMembership.objects.create(user=chair_seat.user, institution=committee.institution, role=Role.CHAIR)
    vote_all(item, members, ["for"] * len(members))
    meeting_services.item_decide(item=item, by=chair_seat.user, outcome="approve", reasons="Unanimous.")
    item.submission.refresh_from_db()
    assert item.submission.decision.decided_by == chair_seat.user
