"""Two secretaries assigning the same reviewer at the same moment, in real concurrent
PostgreSQL transactions: one assignment, one grant, one audit event."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from research_governance.audit.models import AuditEvent
from research_governance.reviews import services
from research_governance.reviews.models import ReviewerAssignment, SubmissionUserObjectPermission
from tests.committees.support import make_committee
from tests.factories import UserFactory, make_complete
from tests.reviews.meeting.support import SIX


@pytest.mark.django_db(transaction=True)
def test_two_secretaries_assigning_at_once_leave_one_assignment(pi, secretariat):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL's row locks: run it with make test"
    _committee, members = make_committee(SIX)
    colleague = UserFactory(email="secretariat2@test.example", roles=["secretariat"])
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="full_board")
    reviewer = members[2].user
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def assign(by):
        try:
            barrier.wait(timeout=10)
            services.reviewer_assign(
                submission=submission, by=by, reviewer=reviewer, due_date=timezone.localdate() + timedelta(days=7)
            )
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=assign, args=(by,)) for by in (secretariat, colleague)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ValidationError", "ok"]
    assert ReviewerAssignment.objects.filter(submission=submission, reviewer=reviewer).count() == 1
    assert SubmissionUserObjectPermission.objects.filter(user=reviewer, content_object=submission).count() == 1
    assert AuditEvent.objects.filter(action="review.reviewer_assigned").count() == 1
