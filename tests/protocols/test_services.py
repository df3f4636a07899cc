from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from research_governance.audit.models import AuditEvent
from research_governance.protocols import permissions, services
from research_governance.protocols.models import DocumentVersion, Protocol
from research_governance.reviews.services import protocol_submit
from tests.factories import attach, make_complete, make_draft, pdf_upload

EARLY = date(2027, 1, 1)
LATE = date(2028, 1, 1)


@pytest.mark.django_db
def test_creating_a_protocol_makes_the_creator_its_pi_with_full_access(pi):
    protocol = services.protocol_create(by=pi, title_ja="研究", title_en="")
    assert protocol.principal_investigator == pi
    assert protocol.reference.endswith(f"{protocol.pk:05d}")
    assert permissions.can_view(pi, protocol)
    assert permissions.can_edit(pi, protocol)
    assert permissions.can_submit(pi, protocol)
    assert AuditEvent.objects.get(action="protocol.created").actor == pi


@pytest.mark.django_db
def test_a_protocol_needs_a_title_in_some_language(pi):
    with pytest.raises(ValidationError):
        services.protocol_create(by=pi, title_ja=" ", title_en="")
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_saving_the_draft_records_only_changed_fields(pi):
    protocol = make_draft(pi)
    saved = services.protocol_update_draft(
        protocol=protocol, by=pi, data={"summary": "New", "title_ja": protocol.title_ja}, lock_version=1
    )
    assert saved.summary == "New"
    assert saved.lock_version == 2
    event = AuditEvent.objects.filter(action="protocol.draft_saved").get()
    assert event.data == {"fields": ["summary"]}


@pytest.mark.django_db
def test_a_save_from_a_stale_tab_is_refused_and_nothing_is_overwritten(pi):
    protocol = make_draft(pi)
    services.protocol_update_draft(protocol=protocol, by=pi, data={"summary": "From tab A"}, lock_version=1)
    with pytest.raises(services.EditConflict) as conflict:
        services.protocol_update_draft(protocol=protocol, by=pi, data={"summary": "From tab B"}, lock_version=1)
    assert conflict.value.current_lock_version == 2
    with translation.override("en"):
        assert "changed elsewhere" in str(conflict.value)
    protocol.refresh_from_db()
    assert protocol.summary == "From tab A"


@pytest.mark.django_db
def test_someone_off_the_team_cannot_change_the_draft(pi, other_investigator):
    protocol = make_draft(pi)
    with pytest.raises(PermissionDenied):
        services.protocol_update_draft(protocol=protocol, by=other_investigator, data={"summary": "x"}, lock_version=1)


@pytest.mark.django_db
def test_adding_a_team_member_grants_view_and_delegation_grants_edit(pi, coinvestigator, other_investigator):
    protocol = make_draft(pi)
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False)
    services.team_member_add(protocol=protocol, by=pi, user=other_investigator, role="staff", can_edit=True)
    assert permissions.can_view(coinvestigator, protocol)
    assert not permissions.can_edit(coinvestigator, protocol)
    assert not permissions.can_submit(coinvestigator, protocol)
    assert permissions.can_edit(other_investigator, protocol)
    assert permissions.can_submit(other_investigator, protocol)


@pytest.mark.django_db
def test_removing_a_team_member_revokes_their_access(pi, coinvestigator):
    protocol = make_draft(pi)
    member = services.team_member_add(
        protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=True
    )
    services.team_member_remove(member=member, by=pi)
    assert not permissions.can_view(coinvestigator, protocol)
    assert not permissions.team_protocols(coinvestigator).exists()


@pytest.mark.django_db
def test_a_team_member_without_delegation_cannot_add_members(pi, coinvestigator, other_investigator):
    protocol = make_draft(pi)
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False)
    with pytest.raises(PermissionDenied):
        services.team_member_add(
            protocol=protocol, by=coinvestigator, user=other_investigator, role="staff", can_edit=True
        )


@pytest.mark.django_db
def test_the_pi_cannot_be_added_twice(pi):
    protocol = make_draft(pi)
    with pytest.raises(ValidationError):
        services.team_member_add(protocol=protocol, by=pi, user=pi, role="co_investigator", can_edit=True)


@pytest.mark.django_db
def test_a_new_lead_site_replaces_the_old_lead(pi):
    protocol = make_draft(pi)
    services.site_add(protocol=protocol, by=pi, name="A", site_investigator="", is_lead=True)
    services.site_add(protocol=protocol, by=pi, name="B", site_investigator="", is_lead=True)
    assert list(protocol.sites.filter(is_lead=True).values_list("name", flat=True)) == ["B"]


@pytest.mark.django_db
def test_replacing_a_document_keeps_the_earlier_version(pi):
    protocol = make_draft(pi)
    attach(protocol, pi, "protocol", "protocol-v1.pdf")
    document = protocol.documents.get()
    upload, size = pdf_upload("second")
    services.document_replace(document=document, by=pi, upload=upload, name="protocol-v2.pdf", size=size)
    document.refresh_from_db()
    assert document.current_version.number == 2
    assert document.current_version.original_name == "protocol-v2.pdf"
    first = document.versions.get(number=1)
    assert first.original_name == "protocol-v1.pdf"
    assert first.file.read().startswith(b"%PDF")


@pytest.mark.django_db
def test_a_document_version_can_never_be_overwritten(pi):
    protocol = make_draft(pi)
    attach(protocol, pi, "protocol")
    version = DocumentVersion.objects.get()
    version.original_name = "changed.pdf"
    with pytest.raises(TypeError):
        version.save()


@pytest.mark.django_db
def test_withdrawing_a_document_keeps_its_record(pi):
    protocol = make_draft(pi)
    attach(protocol, pi, "questionnaire")
    document = protocol.documents.get()
    services.document_withdraw(document=document, by=pi)
    document.refresh_from_db()
    assert document.withdrawn_at is not None
    assert document.versions.count() == 1


@pytest.mark.django_db
def test_a_submitted_application_cannot_be_edited(pi):
    protocol = make_complete(pi)
    protocol_submit(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    with pytest.raises(services.DraftNotEditable):
        services.protocol_update_draft(
            protocol=protocol, by=pi, data={"summary": "late change"}, lock_version=protocol.lock_version
        )
    with pytest.raises(services.DraftNotEditable):
        attach(protocol, pi, "other")


@pytest.mark.django_db
def test_the_draft_rejects_an_end_before_the_start(pi):
    protocol = make_draft(pi)
    with pytest.raises(ValidationError):
        services.protocol_update_draft(
            protocol=protocol,
            by=pi,
            data={"planned_start": LATE, "planned_end": EARLY},
            lock_version=1,
        )
