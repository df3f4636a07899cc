"""A committee with a meeting and a full-board submission on its agenda."""

from datetime import timedelta

from django.utils import timezone

from research_governance.protocols.access_services import grant_team_access
from research_governance.reviews import services as review_services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import ConflictDeclaration
from tests.committees.support import VALID_ROSTER, make_committee
from tests.factories import make_complete

# Six members: VALID_ROSTER plus a second general-public member, so one member can step out
# of an item and the others still meet JP-ERC-01..05.
SIX = [*VALID_ROSTER, (VALID_ROSTER[3][0], True, "female")]


def accepted_full_board(pi, secretariat):
    submission = review_services.protocol_submit(protocol=make_complete(pi), by=pi)
    return review_services.submission_accept(submission=submission, by=secretariat, route="full_board")


def meeting_with_item(pi, secretariat, roster=SIX, *, rule_set="JP", decision_rule="consensus", present=None):
    """A meeting with one item; the members in ``present`` (indexes; default: all) attend."""
    committee, members = make_committee(roster)
    committee.rule_set = rule_set
    committee.decision_rule = decision_rule
    committee.save()
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(hours=1), location="Room 1"
    )
    item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat))
    chosen = members if present is None else [members[i] for i in present]
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=chosen)
    return committee, members, meeting, item


def put_on_team(membership, item):
    """The member becomes an investigator on the study under review (JP-ERC-07)."""
    grant_team_access(user=membership.user, protocol=item.submission.protocol, can_edit=False)


def declare_conflict(membership, item):
    """The member declares a conflict of interest on the submission (US-IRB-03)."""
    ConflictDeclaration.objects.create(
        submission=item.submission,
        member=membership.user,
        has_conflict=True,
        reason="Consults",
        declared_at=timezone.now(),
    )


def vote_all(item, members, choices):
    for membership, choice in zip(members, choices, strict=False):
        meeting_services.vote_cast(item=item, by=membership.user, choice=choice)
