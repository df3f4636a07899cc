"""After approval: amendments, progress reports (JP-R-01), serious adverse events (JP-R-02),
deviations (JP-R-04) and the final report (JP-R-07), through the one review engine."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from research_governance.audit.models import AuditEvent
from research_governance.committees.models import Committee
from research_governance.notifications.models import Notification
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.models import Submission
from research_governance.reviews.panels import progress_report_due, protocol_submissions
from research_governance.reviews.services import IncompleteApplication, add_months
from research_governance.reviews.workflow import TransitionRefused
from tests.factories import make_complete

from ..post_approval_support import TODAY, amend, approve, progress_data, sae_data
from ..test_lifecycle import review

# ---- serious adverse events --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_serious_adverse_event_is_urgent_and_the_chair_and_head_are_told_at_once_with_the_time_jp_r_02(
    approval, pi, chair, head, secretariat
):
    report = services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    assert report.urgent
    assert report.status == "submitted"
    for officer in (chair, head):
        notice = Notification.objects.get(recipient=officer, kind="report.urgent")
        assert notice.params["reported_at"] == timezone.localtime(report.submitted_at).strftime("%Y-%m-%d %H:%M %Z")
    # The secretariat's part is to pre-screen it: told once, by the hand-off.
    told = Notification.objects.filter(recipient=secretariat).latest("id")
    assert told.kind == "work.waiting"
    assert "Pre-screen the submission" in told.subject
    event = AuditEvent.objects.get(action="report.submitted")
    assert event.data["kind"] == "safety_report"
    assert event.data["urgent"] is True


@pytest.mark.django_db
def test_every_report_reaches_the_head_of_institution_jp_r_01(approval, pi, head, chair):
    services.report_submit(protocol=approval.protocol, by=pi, kind="progress_report", data=progress_data())
    assert Notification.objects.filter(recipient=head, kind="report.received").exists()
    assert not Notification.objects.filter(recipient=chair).exists()  # only urgent events go to the chair


@pytest.mark.django_db
def test_several_adverse_events_may_be_open_at_once_but_only_one_progress_report(approval, pi):
    protocol = approval.protocol
    services.report_submit(protocol=protocol, by=pi, kind="safety_report", data=sae_data())
    services.report_submit(protocol=protocol, by=pi, kind="safety_report", data=sae_data())
    services.report_submit(protocol=protocol, by=pi, kind="progress_report", data=progress_data())
    with pytest.raises(TransitionRefused, match="already with the committee"):
        services.report_submit(protocol=protocol, by=pi, kind="progress_report", data=progress_data())


@pytest.mark.django_db
def test_a_report_lists_every_problem_at_once_and_saves_nothing(approval, pi):
    with pytest.raises(ValidationError) as raised:
        services.report_submit(
            protocol=approval.protocol,
            by=pi,
            kind="safety_report",
            data=sae_data(causality="", became_aware_on=TODAY() - timedelta(days=5), summary=" "),
        )
    errors = raised.value.message_dict
    assert set(errors) == {"causality", "summary", "became_aware_on"}
    assert "before the date it occurred" in errors["became_aware_on"][0]
    assert not Submission.objects.filter(kind="safety_report").exists()


@pytest.mark.django_db
def test_a_report_needs_an_approval_and_a_member_of_the_team_who_may_submit(pi, coinvestigator, secretariat):
    protocol = make_complete(pi)
    with pytest.raises(TransitionRefused, match="active or suspended approval"):
        services.report_submit(protocol=protocol, by=pi, kind="progress_report", data=progress_data())


@pytest.mark.django_db
def test_a_coinvestigator_without_delegation_cannot_report_or_amend(approval, pi, coinvestigator):
    protocol = approval.protocol
    services.amendment_start(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    protocol_services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=False)
    with pytest.raises(PermissionDenied):
        services.report_submit(protocol=protocol, by=coinvestigator, kind="deviation", data={})
    with pytest.raises(PermissionDenied):
        services.amendment_start(protocol=protocol, by=coinvestigator)


@pytest.mark.django_db
def test_a_suspended_study_still_reports_events_but_cannot_be_amended(approval, pi, secretariat):
    services.approval_suspend(approval=approval, by=secretariat, reasons="Safety review.")
    services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    with pytest.raises(TransitionRefused, match="only while the approval is active"):
        services.amendment_start(protocol=approval.protocol, by=pi)


# ---- decisions on reports ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_report_is_acknowledged_not_approved(approval, pi, secretariat):
    report = services.report_submit(protocol=approval.protocol, by=pi, kind="deviation", data={
        "occurred_on": TODAY(), "became_aware_on": TODAY(), "serious": True,
        "summary": "Consent taken on an outdated form.", "actions_taken": "Re-consented.",
    })  # fmt: skip
    services.submission_accept(submission=report, by=secretariat, route="expedited")
    with pytest.raises(ValidationError, match="not a decision on a deviation"):
        services.decision_record(submission=report, by=secretariat, outcome="approve", reasons="?")
    decision = services.decision_record(submission=report, by=secretariat, outcome="acknowledge", reasons="Noted.")
    assert decision.needs_permission is False  # JP-R-04: the committee's opinion; no new permission
    approval.refresh_from_db()
    assert approval.status == "active"


@pytest.mark.django_db
def test_a_returned_report_is_answered_and_resubmitted_as_the_next_round(approval, pi, secretariat):
    first = services.report_submit(protocol=approval.protocol, by=pi, kind="progress_report", data=progress_data())
    services.submission_return(submission=first, by=secretariat, requests=["Give the number withdrawn."])
    with pytest.raises(IncompleteApplication):
        services.report_submit(protocol=approval.protocol, by=pi, kind="progress_report", data=progress_data())
    services.request_answer(request=first.requests.get(), by=pi, response="Two withdrew.")
    second = services.report_submit(protocol=approval.protocol, by=pi, kind="progress_report", data=progress_data())
    assert second.previous == first
    assert second.round == 2


@pytest.mark.django_db
def test_the_final_report_closes_the_approval_and_the_protocol_jp_r_07(approval, pi, secretariat, chair):
    final = services.report_submit(protocol=approval.protocol, by=pi, kind="final_report", data={
        "completed_on": TODAY(), "participants_enrolled": 40, "results_summary": "Done.", "summary": "Ended.",
    })  # fmt: skip
    services.submission_accept(submission=final, by=secretariat, route="expedited")
    services.decision_record(submission=final, by=chair, outcome="acknowledge", reasons="Thank you.")
    approval.refresh_from_db()
    approval.protocol.refresh_from_db()
    assert approval.status == "closed"
    assert approval.protocol.status == ProtocolStatus.CLOSED
    closed = AuditEvent.objects.get(action="approval.closed")
    assert "JP-R-07" in closed.data["reasons"]
    assert Notification.objects.filter(recipient=pi, kind="approval.closed").exists()


@pytest.mark.django_db
def test_a_final_report_sent_back_for_revision_leaves_the_approval_open(approval, pi, secretariat):
    final = services.report_submit(protocol=approval.protocol, by=pi, kind="final_report", data={
        "completed_on": TODAY(), "participants_enrolled": 40, "results_summary": "Done.", "summary": "Ended.",
    })  # fmt: skip
    services.submission_accept(submission=final, by=secretariat, route="expedited")
    services.decision_record(submission=final, by=secretariat, outcome="revise", reasons="Add the results.")
    approval.refresh_from_db()
    assert approval.status == "active"


# ---- amendments ----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_study_stays_approved_and_locked_while_its_amendment_is_reviewed(approval, pi, secretariat, head):
    amendment = amend(approval, pi, target_participants=99)
    assert amendment.report.minor_change
    services.submission_accept(submission=amendment, by=secretariat, route="full_board")
    approval.protocol.refresh_from_db()
    assert approval.protocol.status == ProtocolStatus.APPROVED  # the study goes on meanwhile
    assert not approval.protocol.is_editable


@pytest.mark.django_db
def test_a_refused_amendment_never_comes_into_force(approval, pi, secretariat, head, members):
    amendment = amend(approval, pi, target_participants=99)
    services.submission_accept(submission=amendment, by=secretariat, route="expedited")
    review(
        services.reviewer_assign(submission=amendment, by=secretariat, reviewer=members[1].user, due_date=TODAY()),
        members[1].user,
        "approve",
    )
    decision = services.decision_record(submission=amendment, by=secretariat, outcome="approve", reasons="OK.")
    assert decision.permission_state == "awaiting"
    services.head_refuse(decision=decision, by=head, reasons="Not with the current staffing.")
    approval.refresh_from_db()
    assert approval.version != amendment.version
    approval.protocol.refresh_from_db()
    assert approval.protocol.status == ProtocolStatus.APPROVED
    with pytest.raises(TransitionRefused):
        services.head_permit(decision=decision, by=head)


@pytest.mark.django_db
def test_a_returned_amendment_reopens_the_application_and_the_next_round_answers_it(approval, pi, secretariat):
    amendment = amend(approval, pi, target_participants=99)
    services.submission_return(submission=amendment, by=secretariat, requests=["Justify the new sample size."])
    protocol = approval.protocol
    protocol.refresh_from_db()
    assert protocol.amendment_open
    services.request_answer(request=amendment.requests.get(), by=pi, response="Power analysis updated.")
    again = services.protocol_submit(protocol=protocol, by=pi, changes_summary="Sample size, justified.")
    assert again.kind == "amendment"
    assert again.previous == amendment
    assert again.round == 2


@pytest.mark.django_db
def test_an_amendment_says_what_it_changes(approval, pi):
    services.amendment_start(protocol=approval.protocol, by=pi)
    approval.protocol.refresh_from_db()
    with pytest.raises(IncompleteApplication) as raised:
        services.protocol_submit(protocol=approval.protocol, by=pi, changes_summary="  ")
    assert [item.anchor for item in raised.value.missing] == ["id_changes_summary"]


@pytest.mark.django_db
def test_only_one_amendment_at_a_time(approval, pi, secretariat):
    amend(approval, pi, target_participants=99)
    with pytest.raises(TransitionRefused, match="already under review"):
        services.amendment_start(protocol=approval.protocol, by=pi)


@pytest.mark.django_db
def test_under_the_us_rule_set_the_irb_s_approval_of_an_amendment_takes_effect_at_once(pi, secretariat, members):
    Committee.objects.update(rule_set="US")
    approval = approve(pi, secretariat, members, head=None)
    amendment = amend(approval, pi, target_participants=77)
    services.submission_accept(submission=amendment, by=secretariat, route="expedited")
    review(
        services.reviewer_assign(submission=amendment, by=secretariat, reviewer=members[1].user, due_date=TODAY()),
        members[1].user,
        "approve",
    )
    decision = services.decision_record(submission=amendment, by=secretariat, outcome="approve", reasons="OK.")
    assert decision.needs_permission is False
    approval.refresh_from_db()
    assert approval.version == amendment.version
    assert AuditEvent.objects.filter(action="approval.amended").exists()


# ---- progress reports are due at the protocol's interval (JP-R-01) -------------------------------------------------


@pytest.mark.django_db
def test_the_next_progress_report_is_due_an_interval_after_the_period_last_reported_jp_r_01(approval, pi):
    protocol = approval.protocol
    protocol.progress_report_interval_months = 6
    protocol.save()
    assert progress_report_due(approval, protocol, protocol_submissions(protocol)) == add_months(approval.valid_from, 6)
    services.report_submit(protocol=protocol, by=pi, kind="progress_report", data=progress_data())
    assert progress_report_due(approval, protocol, protocol_submissions(protocol)) == add_months(TODAY(), 6)


@pytest.mark.django_db
def test_the_full_board_acknowledges_an_adverse_event_at_a_meeting_with_quorum_jp_r_02(
    client_for, approval, pi, secretariat, members
):
    from django.urls import reverse

    from research_governance.reviews.meeting import services as meeting_services
    from tests.reviews.meeting.support import vote_all

    report = services.report_submit(protocol=approval.protocol, by=pi, kind="safety_report", data=sae_data())
    services.submission_accept(submission=report, by=secretariat, route="full_board")
    meeting = meeting_services.meeting_schedule(
        committee=members[0].committee, by=secretariat, scheduled_at=timezone.now(), location="Room 1"
    )
    item = meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=report)
    meeting_services.attendance_record(meeting=meeting, by=secretariat, present=members)
    vote_all(item, members, ["for"] * len(members))
    page = (
        client_for(secretariat)
        .get(reverse("committees:item", args=[meeting.committee_id, meeting.pk, item.pk]))
        .content.decode()
    )
    assert 'value="acknowledge"' in page
    assert 'value="approve_with_conditions"' not in page  # a report is not approved
    meeting_services.item_decide(item=item, by=secretariat, outcome="acknowledge", reasons="Expected; no change.")
    report.refresh_from_db()
    assert report.decision.outcome == "acknowledge"
    assert report.decision.votes == {"for": 6, "against": 0, "abstain": 0}
