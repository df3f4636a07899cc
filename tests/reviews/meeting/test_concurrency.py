"""Two members voting at the same moment, in real concurrent PostgreSQL transactions: both
votes are kept, each exactly once, and the tally agrees with the rows."""

import threading

import pytest
from django.db import connection, connections

from research_governance.audit.models import AuditEvent
from research_governance.reviews.meeting import selectors as meeting_selectors
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import Vote
from tests.reviews.meeting.support import meeting_with_item


@pytest.mark.django_db(transaction=True)
def test_two_members_voting_at_once_leave_exactly_two_votes(pi, secretariat):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL's row locks: run it with make test"
    _committee, members, _meeting, item = meeting_with_item(pi, secretariat)
    voters = [(members[0], "for"), (members[1], "against"), (members[0], "abstain")]  # the last is a repeat
    barrier = threading.Barrier(len(voters))
    outcomes: list[str] = []

    def cast(membership, choice):
        try:
            barrier.wait(timeout=10)
            meeting_services.vote_cast(item=item, by=membership.user, choice=choice)
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cast, args=voter) for voter in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["ValidationError", "ok", "ok"]
    assert Vote.objects.filter(agenda_item=item).count() == 2
    assert set(Vote.objects.values_list("membership_id", flat=True)) == {members[0].pk, members[1].pk}
    tally = meeting_selectors.tally_of(item)
    assert tally["against"] == 1
    assert tally["for"] + tally["abstain"] == 1
    assert AuditEvent.objects.filter(action="review.vote_cast").count() == 2
