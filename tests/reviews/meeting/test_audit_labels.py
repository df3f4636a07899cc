"""A meeting's audit events written before the meetings moved from committees to the review engine
keep their label ("committees.meeting": the label is hashed into the chain); they are still found."""

from types import SimpleNamespace

import pytest
from django.db import transaction

from research_governance.audit.actions import AuditAction
from research_governance.audit.forms import EventFilterForm
from research_governance.audit.models import AuditEvent
from research_governance.audit.selectors import events_filtered
from research_governance.audit.services import audit_record
from research_governance.audit.verification import verify_chain
from research_governance.reviews.models import Meeting
from tests.reviews.meeting.support import meeting_with_item

pytestmark = pytest.mark.django_db


def _event_written_before_the_move(meeting, secretariat):
    # What audit_record stored for a meeting while the model was committees.Meeting.
    old_target = SimpleNamespace(
        pk=meeting.pk,
        committee_id=meeting.committee_id,
        committee=meeting.committee,
        _meta=SimpleNamespace(label_lower="committees.meeting", concrete_fields=Meeting._meta.concrete_fields),
    )
    with transaction.atomic():
        return audit_record(actor=secretariat, action=AuditAction.MEETING_MINUTES_UPDATED, target=old_target)


@pytest.mark.parametrize("label", ["reviews.meeting", "committees.meeting"])
def test_the_events_of_a_meeting_are_found_under_its_label_and_its_former_one(pi, secretariat, label):
    _committee, _members, meeting, _item = meeting_with_item(pi, secretariat)
    old = _event_written_before_the_move(meeting, secretariat)
    form = EventFilterForm({"target_type": label, "target_id": str(meeting.pk)})
    assert form.is_valid(), form.errors
    found = list(events_filtered(form.cleaned_data, AuditEvent.objects.all()))
    assert old in found
    assert {"meeting.scheduled", "meeting.minutes_updated"} <= {event.action for event in found}
    assert {event.target_type for event in found} == {"reviews.meeting", "committees.meeting"}
    # Its institution is the committee's, as for the events written after the move.
    assert {event.institution_id for event in found} == {meeting.committee.institution_id}


def test_the_chain_still_verifies_with_events_under_the_former_label(pi, secretariat):
    _committee, _members, meeting, _item = meeting_with_item(pi, secretariat)
    _event_written_before_the_move(meeting, secretariat)
    assert verify_chain().intact
