"""Reads of a meeting: its agenda candidates, conflicts per item, attendance, tally and quorum."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.committees.selectors import roster_as_engine_input, sitting_on
from research_governance.protocols.assessment import reason_text
from research_governance.protocols.models import ProtocolUserObjectPermission
from research_governance.reviews.models import AgendaItem, ConflictDeclaration, Meeting, Submission, Vote
from research_governance.reviews.permissions import conflict_reason
from research_governance.rules import check_committee


def meeting_day(meeting: Meeting) -> date:
    return timezone.localdate(meeting.scheduled_at)


def seat_at_meeting(user: User | AnonymousUser, meeting: Meeting) -> CommitteeMembership | None:
    """The user's sitting seat on the meeting's committee on the meeting's day, if any."""
    if not user.is_authenticated:
        return None
    return next((seat for seat in sitting_on(meeting.committee, meeting_day(meeting)) if seat.user_id == user.pk), None)


def meetings_for(committee: Committee) -> QuerySet[Meeting]:
    """A committee's meetings, newest first, each with its number of items and of decided items."""
    return (
        committee.meetings.annotate(
            item_count=Count("items", distinct=True),
            decided_count=Count("items", filter=~Q(items__outcome=""), distinct=True),
        )
        .select_related("committee")
        .order_by("-scheduled_at", "-id")
    )


def agenda_candidates(meeting: Meeting) -> QuerySet[Submission]:
    """Submissions that may go on the agenda: accepted for full-board review at the committee's
    institution, not yet on this meeting's agenda, and not waiting on another meeting's (an
    item deferred there may come here)."""
    from research_governance.reviews.workflow import ReviewRoute, SubmissionStatus

    pending_elsewhere = AgendaItem.objects.filter(submission=OuterRef("pk"), outcome="", deferred_at__isnull=True)
    return (
        Submission.objects.filter(
            status=SubmissionStatus.ACCEPTED,
            route=ReviewRoute.FULL_BOARD,
            protocol__institution_id=meeting.committee.institution_id,
        )
        .exclude(agenda_items__meeting=meeting)
        .exclude(Exists(pending_elsewhere))
        .select_related("protocol")
        .order_by("submitted_at")
    )


def automatic_conflict(user: User, submission: Submission) -> str:
    """The rule that keeps the member out of the item's deliberation ("" when none): the PI
    who asked for the review (JP-ERC-08), an investigator on the study (JP-ERC-07), or a
    declared conflict of interest (US-IRB-03)."""
    if submission.protocol.principal_investigator_id == user.pk:
        return "JP-ERC-08"
    return conflict_reason(user, submission)


@dataclass(frozen=True)
class Conflict:
    rule_id: str  # "" for a recusal recorded by the secretariat
    reason: str
    recorded: bool  # True for a stored Recusal, False when computed


def item_conflicts(item: AgendaItem, seats: list[CommitteeMembership]) -> dict[int, Conflict]:
    """Conflicts of the seats on this item, by membership id: computed ones first, then
    the recusals the secretariat recorded. Three queries whatever the number of seats."""
    submission = item.submission
    pi_id = submission.protocol.principal_investigator_id
    user_ids = [seat.user_id for seat in seats]
    on_team = set(
        ProtocolUserObjectPermission.objects.filter(
            content_object_id=submission.protocol_id, user_id__in=user_ids
        ).values_list("user_id", flat=True)
    )
    declared = set(
        ConflictDeclaration.objects.filter(
            submission=submission, member_id__in=user_ids, has_conflict=True
        ).values_list("member_id", flat=True)
    )
    conflicts: dict[int, Conflict] = {}
    for seat in seats:
        # The same order as automatic_conflict: JP-ERC-08, then JP-ERC-07, then US-IRB-03.
        if seat.user_id == pi_id:
            rule_id = "JP-ERC-08"
        elif seat.user_id in on_team:
            rule_id = "JP-ERC-07"
        elif seat.user_id in declared:
            rule_id = "US-IRB-03"
        else:
            continue
        conflicts[seat.pk] = Conflict(rule_id=rule_id, reason="", recorded=False)
    for recusal in item.recusals.all():
        conflicts.setdefault(recusal.membership_id, Conflict(rule_id="", reason=recusal.reason, recorded=True))
    return conflicts


def conflict_of(user: User | AnonymousUser, item: AgendaItem) -> Conflict | None:
    """The user's conflict on the item, if they sit on the committee and have one."""
    seat = seat_at_meeting(user, item.meeting)
    if seat is None:
        return None
    return item_conflicts(item, [seat]).get(seat.pk)


def attendance_of(meeting: Meeting) -> dict[int, bool]:
    return dict(meeting.attendance.values_list("membership_id", "present"))


def tally_of(item: AgendaItem) -> dict[str, int]:
    counts = dict.fromkeys(Vote.Choice.values, 0)
    for choice, count in item.votes.values_list("choice").annotate(count=Count("id")).order_by():
        counts[choice] = count
    return counts


def quorum_for_item(item: AgendaItem) -> dict[str, Any]:
    """The quorum of the meeting for this item, computed now from the attendance and the
    item's conflicts (JP-ERC-06..08, US-IRB-03/04): the rules engine's verdict plus the
    seats it counted and the conflicts it excluded."""
    meeting = item.meeting
    committee = meeting.committee
    seats = sitting_on(committee, meeting_day(meeting))
    present = attendance_of(meeting)
    conflicts = item_conflicts(item, seats)
    engine_input = roster_as_engine_input(committee, seats)
    for entry in engine_input["members"]:
        entry["present"] = present.get(int(entry["id"]), False)
        entry["conflict"] = int(entry["id"]) in conflicts
    # No quorum part when the input says nothing about attendance: not valid, nobody counted.
    quorum: Mapping[str, Any] = check_committee(engine_input)["quorum"] or {}
    violations = [{"rule_id": v["rule_id"], "text": reason_text(v)} for v in quorum.get("violations", [])]
    return {
        "valid": bool(quorum.get("valid")),
        "violations": violations,
        "failing_rule_ids": sorted({v["rule_id"] for v in violations}),
        "rule_ids": quorum.get("rule_ids", []),
        "counted_ids": [int(member_id) for member_id in quorum.get("counted_member_ids", [])],
        "excluded_ids": [int(member_id) for member_id in quorum.get("excluded_member_ids", [])],
        "present_ids": [seat.pk for seat in seats if present.get(seat.pk)],
        "attendance_recorded": bool(present),
        "seats": seats,
        "conflicts": conflicts,
        "rule_set": committee.rule_set,
    }


# The committee's decision rule (JP-ERC-09, UNVERIFIED, so it is the committee's setting).
# "Votes cast" are for + against + abstain: an abstention is cast but does not support.
#   consensus:  no vote against and at least one for;
#   majority:   more than half of the votes cast are for;
#   two_thirds: at least one for, and for is at least two-thirds of the votes cast.
# Under the US rule set approval also needs a majority of the members present and
# counted toward quorum (US-IRB-04), whatever the committee's own rule.
def decision_rule_met(
    rule: str, tally: dict[str, int], *, rule_set: str, counted_present: int
) -> tuple[bool, list[dict[str, str]]]:
    """Whether the votes carry an approval under the rule; the reasons when they do not."""
    yes, no, abstain = tally.get("for", 0), tally.get("against", 0), tally.get("abstain", 0)
    cast = yes + no + abstain
    failures: list[dict[str, str]] = []
    if rule == Committee.DecisionRule.CONSENSUS:
        met = yes > 0 and no == 0
        text = gettext("Consensus needs no vote against and at least one vote for.")
    elif rule == Committee.DecisionRule.MAJORITY:
        met = 2 * yes > cast
        text = gettext("A simple majority needs more than half of the %(cast)d votes cast to be for.")
    else:
        met = yes > 0 and 3 * yes >= 2 * cast
        text = gettext("A two-thirds majority needs at least two-thirds of the %(cast)d votes cast to be for.")
    if not met:
        failures.append({"rule_id": "JP-ERC-09", "text": text % {"cast": cast}})
    if rule_set == Committee.RuleSet.US and 2 * yes <= counted_present:
        failures.append(
            {
                "rule_id": "US-IRB-04",
                "text": gettext("Approval needs a majority of the %(present)d members present: %(needed)d votes for.")
                % {"present": counted_present, "needed": counted_present // 2 + 1},
            }
        )
    return not failures, failures
