"""At every hand-off of the ethics review, each new next actor is told once, the person acting
is not told, and announcing again tells nobody."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from research_governance.notifications.handoff import announce
from research_governance.notifications.models import Notification
from research_governance.reviews import services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import Condition
from tests.committees.support import make_committee
from tests.factories import PASSWORD, make_complete
from tests.reviews.meeting.support import SIX

from .post_approval_support import sae_data


class Told:
    """The notifications queued since the last look."""

    def __init__(self):
        self.seen = Notification.objects.count()

    def since(self) -> list[Notification]:
        new = list(Notification.objects.order_by("id")[self.seen :])
        self.seen += len(new)
        return new

    def handoffs(self) -> dict[int, int]:
        counts: dict[int, int] = {}
        for notification in self.since():
            if notification.kind == "work.waiting":
                counts[notification.recipient_id] = counts.get(notification.recipient_id, 0) + 1
        return counts


def _again(protocol, by):
    """The same announcement again (a retried task, a second call) tells nobody."""
    with transaction.atomic():
        assert announce(protocol_ids=[protocol.pk], by=by) == []


@pytest.mark.django_db
def test_an_initial_application_through_the_full_board_hands_off_once_at_each_step(pi, secretariat, chair, head):
    committee, seats = make_committee(SIX)
    reviewer, conflicted = seats[0].user, seats[1].user
    told = Told()

    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    protocol = submission.protocol
    assert told.handoffs() == {secretariat.pk: 1}
    _again(protocol, pi)

    services.submission_accept(submission=submission, by=secretariat, route="full_board")
    # The secretariat puts it on an agenda itself: nobody else is told; the team hears it was accepted.
    assert told.handoffs() == {}

    due = timezone.localdate() + timedelta(days=7)
    services.reviewer_assign(submission=submission, by=secretariat, reviewer=reviewer, due_date=due)
    assert told.handoffs() == {reviewer.pk: 1}
    _again(protocol, secretariat)

    services.reviewer_assign(submission=submission, by=secretariat, reviewer=conflicted, due_date=due)
    assert told.handoffs() == {conflicted.pk: 1}
    services.conflict_declare(submission=submission, member=conflicted, has_conflict=True, reason="Consults.")
    assert told.handoffs() == {}  # another reviewer is still at work

    services.conflict_declare(submission=submission, member=reviewer, has_conflict=False, reason="")
    assignment = submission.assignments.get(reviewer=reviewer)
    services.review_save(
        assignment=assignment,
        by=reviewer,
        checklist={
            key: {"rating": "adequate", "comment": ""}
            for key in ("scientific_validity", "risk_benefit", "consent", "privacy", "ai", "conflicts")
        },
        recommendation="approve_with_conditions",
        summary="Fine with a change.",
    )
    services.review_submit(assignment=assignment, by=reviewer)
    assert told.handoffs() == {}
    _again(protocol, reviewer)

    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(hours=1), location="Room 1"
    )
    notices = told.since()
    assert {n.kind for n in notices} == {"meeting.notice"}
    assert sorted(n.recipient_id for n in notices) == sorted(s.user_id for s in seats)
    item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=submission)
    notices = told.since()
    assert {n.kind for n in notices} == {"meeting.notice"}
    assert sorted(n.recipient_id for n in notices) == sorted(s.user_id for s in seats)
    assert protocol.reference in notices[0].body
    _again(protocol, secretariat)

    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=seats)
    for membership in seats:
        if membership.user != conflicted:  # who declared a conflict does not vote (US-IRB-03)
            meeting_services.vote_cast(item=item, by=membership.user, choice="for")
    told.since()
    meeting_services.item_decide(
        item=item, by=secretariat, outcome="approve_with_conditions", reasons="Sound.", conditions=["A", "B"]
    )
    # The applicants answer the conditions: told once for the decision (and informed of it).
    assert told.handoffs() == {pi.pk: 1}
    _again(protocol, secretariat)

    first, second = Condition.objects.filter(decision__submission=submission).order_by("number")
    services.condition_answer(condition=first, by=pi, response="Done.")
    assert told.handoffs() == {chair.pk: 1, secretariat.pk: 1}
    services.condition_answer(condition=second, by=pi, response="Done too.")
    assert told.handoffs() == {chair.pk: 1, secretariat.pk: 1}
    _again(protocol, pi)

    services.condition_sign_off(condition=first, by=chair, meaning="approval", password=PASSWORD)
    assert told.handoffs() == {}  # a condition is still unsigned: the head waits
    services.condition_sign_off(condition=second, by=chair, meaning="approval", password=PASSWORD)
    assert told.handoffs() == {head.pk: 1}
    _again(protocol, chair)

    services.head_permit(decision=submission.decision, by=head)
    assert told.handoffs() == {}
    _again(protocol, head)


@pytest.mark.django_db
def test_an_amendment_reaches_the_secretariat_and_then_its_reviewer(approval, pi, secretariat, members):
    told = Told()
    protocol = approval.protocol
    services.amendment_start(protocol=protocol, by=pi)
    assert told.handoffs() == {}  # the applicants started it themselves
    protocol.refresh_from_db()
    amendment = services.protocol_submit(protocol=protocol, by=pi, changes_summary="A change.", minor_change=True)
    assert told.handoffs() == {secretariat.pk: 1}
    services.submission_accept(submission=amendment, by=secretariat, route="expedited")
    told.since()
    services.reviewer_assign(
        submission=amendment, by=secretariat, reviewer=members[2].user, due_date=timezone.localdate()
    )
    assert told.handoffs() == {members[2].user_id: 1}


@pytest.mark.django_db
def test_a_serious_adverse_event_reaches_the_secretariat_then_the_chair(approval, pi, secretariat, chair):
    told = Told()
    report = services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    assert told.handoffs() == {secretariat.pk: 1}
    services.submission_accept(submission=report, by=secretariat, route="expedited")
    # A report needs no review: the chair acknowledges it (the secretariat, who accepted, may too).
    assert told.handoffs() == {chair.pk: 1}
    _again(approval.protocol, secretariat)
