"""The audit pages: every event filtered by object, actor, action and date, keyset-paged; a
protocol's timeline; the streamed CSV export; the access log. Auditors and administrators only."""

import csv
import io
import tracemalloc
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.audit.actions import AuditAction
from research_governance.audit.models import AccessKind, AccessLogEntry, AuditEvent
from research_governance.audit.selectors import PAGE_SIZE
from research_governance.audit.services import audit_record
from tests.factories import UserFactory, make_draft


@pytest.fixture
def auditor(db):
    return UserFactory(email="auditor@test.example", roles=[Role.AUDITOR])


@pytest.fixture
def administrator(db):
    return UserFactory(email="admin@test.example", roles=[Role.ADMINISTRATOR])


def record(actor, n: int, action: str = "protocol.draft_saved", **data):
    for number in range(n):
        with transaction.atomic():
            audit_record(actor=actor, action=action, target=actor, data={"n": number, **data})


def page_ids(response) -> list[int]:
    return [event.pk for event in response.context["page"].rows]


@pytest.mark.django_db
def test_the_auditor_and_the_administrator_see_every_event_newest_first(pi, auditor, administrator, client_for):
    make_draft(pi, summary="Some summary")
    for user in (auditor, administrator):
        response = client_for(user).get(reverse("audit:events"))
        assert response.status_code == 200
        assert page_ids(response) == list(AuditEvent.objects.order_by("-id").values_list("id", flat=True))
        assert "Audit trail" in response.content.decode()


@pytest.mark.django_db
def test_investigators_and_the_secretariat_do_not_reach_the_audit_pages(pi, secretariat, client_for):
    protocol = make_draft(pi)
    for user in (pi, secretariat):
        client = client_for(user)
        for address in (
            reverse("audit:events"),
            reverse("audit:events_csv"),
            reverse("audit:access_log"),
            reverse("audit:protocol_timeline", args=[protocol.pk]),
        ):
            assert client.get(address).status_code == 404
        assert reverse("audit:events") not in client.get(reverse("protocols:dashboard")).content.decode()


@pytest.mark.django_db
def test_the_nav_shows_the_audit_trail_to_auditors(auditor, client_for):
    assert reverse("audit:events") in client_for(auditor).get(reverse("notifications:list")).content.decode()


@pytest.mark.django_db
def test_events_are_filtered_by_object_actor_action_and_date(pi, other_investigator, auditor, client_for):
    mine = make_draft(pi, summary="x")
    make_draft(other_investigator, summary="y")
    client = client_for(auditor)
    by_object = client.get(reverse("audit:events"), {"target_type": "protocols.protocol", "target_id": mine.pk})
    assert set(page_ids(by_object)) == set(
        AuditEvent.objects.filter(target_type="protocols.protocol", target_id=str(mine.pk)).values_list("id", flat=True)
    )
    by_actor = client.get(reverse("audit:events"), {"actor": other_investigator.email.upper()})
    assert {AuditEvent.objects.get(pk=pk).actor_id for pk in page_ids(by_actor)} == {other_investigator.pk}
    by_action = client.get(reverse("audit:events"), {"action": "protocol.created"})
    assert len(page_ids(by_action)) == 2
    assert {AuditEvent.objects.get(pk=pk).action for pk in page_ids(by_action)} == {"protocol.created"}
    today = timezone.localdate()
    assert len(page_ids(client.get(reverse("audit:events"), {"date_from": today, "date_to": today}))) == 4
    assert page_ids(client.get(reverse("audit:events"), {"date_to": today - timedelta(days=1)})) == []
    assert page_ids(client.get(reverse("audit:events"), {"actor": "nobody@test.example"})) == []


@pytest.mark.django_db
def test_an_invalid_filter_is_shown_with_its_error_and_the_input_kept(pi, auditor, client_for):
    make_draft(pi)
    response = client_for(auditor).get(
        reverse("audit:events"), {"date_from": "2026-12-10", "date_to": "2026-12-01", "actor": "typed@x.example"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The end date is before the start date." in body
    assert 'value="typed@x.example"' in body


@pytest.mark.django_db
def test_pages_are_keyset_paged_older_and_back_to_newer(pi, auditor, client_for):
    record(pi, PAGE_SIZE * 2 + 5)
    everything = list(AuditEvent.objects.order_by("-id").values_list("id", flat=True))
    client = client_for(auditor)
    first = client.get(reverse("audit:events"))
    assert page_ids(first) == everything[:PAGE_SIZE]
    assert first.context["page"].newer is None
    second = client.get(reverse("audit:events"), {"before": first.context["page"].older})
    assert page_ids(second) == everything[PAGE_SIZE : 2 * PAGE_SIZE]
    third = client.get(reverse("audit:events"), {"before": second.context["page"].older})
    assert page_ids(third) == everything[2 * PAGE_SIZE :]
    assert third.context["page"].older is None
    back = client.get(reverse("audit:events"), {"after": third.context["page"].newer})
    assert page_ids(back) == everything[PAGE_SIZE : 2 * PAGE_SIZE]
    assert client.get(reverse("audit:events"), {"before": "junk"}).status_code == 200


@pytest.mark.django_db
def test_the_events_page_costs_the_same_queries_however_many_events_and_filters(pi, auditor, client_for):
    client = client_for(auditor)
    record(pi, 3)
    client.get(reverse("audit:events"))  # warm the per-user caches
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("audit:events"))
    record(pi, PAGE_SIZE + 10, action="protocol.submitted", secret_token="x")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("audit:events"))
    assert len(page_ids(response)) == PAGE_SIZE
    assert len(many) == len(few)
    # A filtered page off the first: the page itself and one EXISTS for "newer".
    older = response.context["page"].older
    with CaptureQueriesContext(connection) as filtered:
        client.get(reverse("audit:events"), {"action": "protocol.submitted", "actor": pi.email, "before": older})
    assert len(filtered) == len(few) + 2  # the actor's lookup and the EXISTS for "newer"
    # The events are never counted (the menu's count of the user's own waiting work is another table).
    counted = [
        query["sql"]
        for query in [*many.captured_queries, *filtered.captured_queries]
        if "COUNT(" in query["sql"].upper()
    ]
    assert not [sql for sql in counted if "audit_auditevent" in sql]


@pytest.mark.django_db
def test_the_protocol_timeline_shows_its_events_with_labels(pi, auditor, client_for):
    protocol = make_draft(pi, summary="x")
    make_draft(pi)
    response = client_for(auditor).get(reverse("audit:protocol_timeline", args=[protocol.pk]))
    assert response.status_code == 200
    assert set(page_ids(response)) == set(protocol.audit_events.values_list("id", flat=True))
    body = response.content.decode()
    assert "Application created" in body
    assert 'class="timeline' in body


@pytest.mark.django_db
def test_the_csv_export_has_every_filtered_event_with_its_hashes(pi, other_investigator, auditor, client_for):
    make_draft(pi, summary="x")
    make_draft(other_investigator)
    with transaction.atomic():
        audit_record(actor=pi, action=AuditAction.PROTOCOL_DRAFT_SAVED, target=pi, data={"note": "=cmd"})
    response = client_for(auditor).get(reverse("audit:events_csv"), {"actor": pi.email})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    events = list(AuditEvent.objects.filter(actor=pi).order_by("-id"))
    assert [int(row["id"]) for row in rows] == [e.pk for e in events]
    assert [(row["hash"], row["previous_hash"]) for row in rows] == [(e.hash, e.previous_hash) for e in events]
    assert rows[1]["occurred_at_utc"] == events[1].occurred_at.isoformat()
    # A formula is never handed to a spreadsheet: an address typed as one comes out quoted.
    formula = UserFactory(email="=HYPERLINK(1)@test.example")
    with transaction.atomic():
        audit_record(actor=formula, action=AuditAction.PROTOCOL_DRAFT_SAVED, target=formula)
    response = client_for(auditor).get(reverse("audit:events_csv"), {"actor": formula.email})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode().lstrip("\ufeff"))))
    assert rows[0]["actor"] == "'=HYPERLINK(1)@test.example"


@pytest.mark.django_db
def test_exporting_100000_events_streams_with_flat_memory(pi, auditor, client_for):
    """The rows are written by SQL (the chain is not under test here); the export must hold one
    chunk at a time, never the whole list (which would take well over 50 MB)."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO audit_auditevent
                (occurred_at, actor_id, actor_label, action, target_type, target_id, protocol_id, institution_id,
                 data, previous_hash, hash)
            SELECT %s, %s, %s, 'protocol.draft_saved', 'protocols.protocol', i::text, NULL, %s,
                   jsonb_build_object('fields', jsonb_build_array('summary', 'title_en'), 'n', i),
                   md5((i - 1)::text) || md5((i - 1)::text), md5(i::text) || md5(i::text)
            FROM generate_series(1, 100000) AS i
            """,
            [now, pi.pk, pi.email, pi.institution_id],
        )
    client = client_for(auditor)
    response = client.get(reverse("audit:events_csv"))
    tracemalloc.start()
    try:
        lines = 0
        size = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == 100_001
    assert size > 25_000_000
    assert peak < 8_000_000, f"peak {peak:,} bytes"


@pytest.mark.django_db
def test_the_access_log_is_filtered_by_user_kind_and_date(pi, secretariat, auditor, client_for):
    now = timezone.now()
    AccessLogEntry.objects.create(occurred_at=now, user=pi, identifier=pi.email, kind=AccessKind.SIGN_IN)
    AccessLogEntry.objects.create(occurred_at=now, identifier=pi.email, kind=AccessKind.SIGN_IN_FAILED)
    AccessLogEntry.objects.create(
        occurred_at=now, user=secretariat, identifier=secretariat.email, kind=AccessKind.DOCUMENT_DOWNLOAD
    )
    client = client_for(auditor)  # its own sign-in is logged too
    response = client.get(reverse("audit:access_log"))
    assert response.status_code == 200
    assert len(page_ids(response)) == 4
    # The user's own entries and the failed sign-ins typed with their email.
    assert len(page_ids(client.get(reverse("audit:access_log"), {"user": pi.email}))) == 2
    failed = page_ids(client.get(reverse("audit:access_log"), {"kind": AccessKind.SIGN_IN_FAILED}))
    assert [AccessLogEntry.objects.get(pk=pk).identifier for pk in failed] == [pi.email]
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert page_ids(client.get(reverse("audit:access_log"), {"date_from": tomorrow})) == []
    assert "Sign-in failed" in response.content.decode()


def test_the_quick_select_renders_like_django_s_select():
    from django import forms

    from research_governance.audit.forms import QuickSelect

    choices = [("", "Any"), ("a<b", "A & B"), ("x", "X")]
    for value in ("", "a<b", None):
        ours = QuickSelect(attrs={"class": "form-select"}, choices=choices).render("f", value, {"id": "id_f"})
        django = forms.Select(attrs={"class": "form-select"}, choices=choices).render("f", value, {"id": "id_f"})
        assert ours.replace("\n", "").replace("  ", "") == django.replace("\n", "").replace("  ", ""), (ours, django)
