import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from research_governance.audit.actions import AuditAction
from research_governance.audit.display import ACTION_LABELS
from research_governance.audit.models import AuditEvent
from research_governance.audit.services import GENESIS_HASH, audit_record, canonical_json, event_hash
from tests.factories import make_draft


@pytest.mark.django_db
def test_events_form_a_hash_chain(pi):
    protocol = make_draft(pi, summary="x")
    events = list(AuditEvent.objects.order_by("id"))
    assert [e.action for e in events] == ["protocol.created", "protocol.draft_saved"]
    assert events[0].previous_hash == GENESIS_HASH
    assert events[1].previous_hash == events[0].hash
    for event in events:
        assert event.protocol_id == protocol.pk
        assert event.hash == event_hash(
            previous_hash=event.previous_hash,
            occurred_at=event.occurred_at.isoformat(),
            actor_id=event.actor_id,
            action=event.action,
            target_type=event.target_type,
            target_id=event.target_id,
            data=event.data,
        )


@pytest.mark.django_db
def test_secrets_in_event_data_are_masked(pi):
    with transaction.atomic():
        event = audit_record(
            actor=pi,
            action="protocol.draft_saved",
            target=pi,
            data={"password": "hunter2", "nested": {"api_token": "t"}},
        )
    assert event.data == {"nested": {"api_token": "***"}, "password": "***"}


@pytest.mark.django_db(transaction=True)
def test_an_event_is_only_written_inside_the_changing_transaction(pi):
    with pytest.raises(RuntimeError):
        audit_record(actor=pi, action="protocol.draft_saved", target=pi)


@pytest.mark.django_db
def test_stored_events_cannot_be_changed_or_deleted_through_the_orm(pi):
    make_draft(pi)
    event = AuditEvent.objects.get()
    event.action = "tampered"
    with pytest.raises(TypeError):
        event.save()
    with pytest.raises(TypeError):
        event.delete()
    with pytest.raises(TypeError):
        AuditEvent.objects.all().update(action="tampered")
    with pytest.raises(TypeError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().action == "protocol.created"


def test_every_audited_action_is_written_by_its_declared_name_and_read_in_people_s_words():
    """The history timeline shows people words, never raw action names: services write
    ``AuditAction`` members (audit_record refuses anything else), and each member has a label."""
    source = "\n".join(
        path.read_text()
        for path in Path(settings.BASE_DIR, "research_governance").rglob("*.py")
        if "migrations" not in path.parts
    )
    assert re.findall(r'(?:audit_action|action)="([a-z_]+\.[a-z_]+)"', source) == []
    assert "AuditAction.PROTOCOL_SUBMITTED" in source
    unlabelled = [action for action in AuditAction if str(action.label).lower() == action.value.lower()]
    assert unlabelled == []
    assert set(ACTION_LABELS) == set(AuditAction.values)


@pytest.mark.parametrize(
    "fields",
    [
        {"actor_id": 7, "action": "protocol.submitted", "target_id": "12", "data": {"version": 2, "b": [1, "x"]}},
        {"actor_id": None, "action": "letter.issued", "target_id": 'ä"\\\n', "data": {"題名": "日本語", "a": None}},
        {"actor_id": 1, "action": "x", "target_id": "", "data": {"nested": {"z": 1.5, "a": True}, "list": []}},
    ],
)
def test_the_hand_written_event_hash_is_the_sha256_of_the_canonical_json_of_the_event(fields):
    import hashlib

    event = {"previous_hash": "a" * 64, "occurred_at": "2026-11-29T01:02:03+00:00", "target_type": "t.t", **fields}
    expected = hashlib.sha256(canonical_json(event).encode()).hexdigest()
    assert event_hash(**event) == expected


@pytest.mark.django_db
def test_an_action_that_audit_actions_does_not_declare_is_refused_and_nothing_is_written(pi):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError, match="declare it"), transaction.atomic():
        audit_record(actor=pi, action="protocol.sumbitted", target=pi)
    assert AuditEvent.objects.count() == before
