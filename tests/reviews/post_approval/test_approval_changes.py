"""The secretariat or the chair suspends or closes an approval, with reasons; the team is told."""

import pytest
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.notifications.models import Notification
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.models import Approval
from tests.committees.support import make_committee
from tests.factories import UserFactory, make_complete
from tests.reviews.meeting.support import SIX

from ..test_lifecycle import review


@pytest.fixture
def approval(pi, secretariat):
    _committee, members = make_committee(SIX)
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_accept(submission=submission, by=secretariat, route="expedited")
    assignment = services.reviewer_assign(
        submission=submission, by=secretariat, reviewer=members[0].user, due_date=timezone.localdate()
    )
    review(assignment, members[0].user, "approve")
    decision = services.decision_record(submission=submission, by=secretariat, outcome="approve", reasons="Fine.")
    services.head_permit(decision=decision, by=UserFactory(roles=[Role.HEAD]))
    return Approval.objects.get(decision=decision)


def change_url(approval):
    return reverse("reviews:approval_change", args=[approval.protocol_id, approval.pk])


@pytest.mark.django_db
def test_the_secretariat_suspends_then_closes_and_the_team_is_told(client_for, approval, secretariat, pi):
    client = client_for(secretariat)
    page = client.get(reverse("protocols:detail", args=[approval.protocol_id])).content.decode()
    assert "Suspend or close the approval" in page
    client.post(change_url(approval), {"approval-action": "suspend", "approval-reasons": "Safety signal."})
    approval.refresh_from_db()
    assert approval.status == "suspended"
    assert approval.protocol.status == ProtocolStatus.SUSPENDED
    assert Notification.objects.filter(recipient=pi, kind="approval.suspended").exists()
    client.post(change_url(approval), {"approval-action": "close", "approval-reasons": "Study stopped."})
    approval.refresh_from_db()
    assert approval.status == "closed"
    assert Notification.objects.filter(recipient=pi, kind="approval.closed").exists()


@pytest.mark.django_db
def test_reasons_are_required_and_the_choice_is_kept(client_for, approval, secretariat):
    response = client_for(secretariat).post(change_url(approval), {"approval-action": "suspend"})
    page = response.content.decode()
    assert "This field is required." in page
    assert 'value="suspend" id="id_approval-action_0" checked' in page
    approval.refresh_from_db()
    assert approval.status == "active"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "coinvestigator", "other_investigator", "reviewer"])
def test_nobody_else_changes_an_approval(client_for, approval, persona, request):
    client = client_for(request.getfixturevalue(persona))
    response = client.post(change_url(approval), {"approval-action": "close", "approval-reasons": "x"})
    assert response.status_code in (403, 404)
    approval.refresh_from_db()
    assert approval.status == "active"
