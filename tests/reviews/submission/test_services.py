import pytest
from django.core.exceptions import PermissionDenied

from research_governance.audit.models import AuditEvent
from research_governance.protocols import services as protocol_services
from research_governance.protocols.models import ProtocolStatus
from research_governance.reviews import services
from research_governance.reviews.workflow import SubmissionStatus, TransitionRefused
from tests.factories import attach, make_complete, make_draft, pdf_upload


@pytest.mark.django_db
def test_submitting_freezes_a_version_with_the_form_and_document_versions(pi):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.SUBMITTED
    assert submission.status == SubmissionStatus.SUBMITTED
    version = submission.version
    assert version.number == 1
    assert version.snapshot["form"]["title_en"] == "A complete protocol"
    assert {d["kind"] for d in version.snapshot["documents"]} == {"protocol", "consent_form"}
    assert version.document_versions.count() == 2
    assert AuditEvent.objects.filter(action="protocol.submitted", protocol=protocol).count() == 1


@pytest.mark.django_db
def test_a_submitted_version_reads_back_unchanged_after_later_edits(pi):
    protocol = make_complete(pi, summary="Original summary")
    first = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_withdraw(submission=first, by=pi)
    protocol.refresh_from_db()
    protocol_services.protocol_update_draft(
        protocol=protocol, by=pi, data={"summary": "Rewritten summary"}, lock_version=protocol.lock_version
    )
    document = protocol.documents.get(kind="consent_form")
    upload, size = pdf_upload("consent v2")
    protocol_services.document_replace(document=document, by=pi, upload=upload, name="consent-v2.pdf", size=size)
    second = services.protocol_submit(protocol=protocol, by=pi)

    first.version.refresh_from_db()
    assert first.version.snapshot["form"]["summary"] == "Original summary"
    consent_v1 = next(d for d in first.version.snapshot["documents"] if d["kind"] == "consent_form")
    assert consent_v1["version"] == 1
    assert consent_v1["file_name"] == "consent.pdf"
    assert first.version.document_versions.get(document=document).number == 1
    assert second.version.number == 2
    assert second.version.snapshot["form"]["summary"] == "Rewritten summary"
    assert second.version.document_versions.get(document=document).number == 2


@pytest.mark.django_db
def test_a_version_cannot_be_modified_once_stored(pi):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    version = submission.version
    version.snapshot = {"form": {}}
    with pytest.raises(TypeError):
        version.save()


@pytest.mark.django_db
def test_an_incomplete_application_lists_every_missing_item_at_once(pi):
    protocol = make_draft(pi)
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    messages = [item.message for item in incomplete.value.missing]
    assert "Title (English) is required." in messages
    assert "Summary is required." in messages
    assert "Answer the question “Consent procedure”." in messages
    assert "Attach the document: Research protocol." in messages
    assert len(messages) >= 15
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.DRAFT
    assert not protocol.versions.exists()


@pytest.mark.django_db
def test_an_opt_out_study_needs_its_notice_document_and_text_jp_ic_12(pi):
    protocol = make_complete(pi, consent_procedure="opt_out", acquisition="existing_own")
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    messages = " ".join(item.message for item in incomplete.value.missing)
    assert "Opt-out notice" in messages
    assert "JP-IC-12" in messages
    assert "JP-IC-10" in messages


@pytest.mark.django_db
def test_an_electronic_consent_study_needs_its_e_ic_materials_jp_ic_12(pi):
    protocol = make_complete(pi, consent_procedure="electronic_ic")
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    assert [item.message for item in incomplete.value.missing] == [
        "Attach the document: Electronic consent method and materials. "
        "(JP-IC-12: for e-IC studies, attach the method and materials.)"
    ]
    attach(protocol, pi, "e_ic_materials")
    assert services.protocol_submit(protocol=protocol, by=pi).status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_an_external_ai_service_must_be_listed_as_a_recipient(pi):
    protocol = make_complete(
        pi,
        uses_ai=True,
        ai_purpose="Triage images",
        ai_trains_on_identifiable_data=False,
        ai_uses_external_service=True,
    )
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    assert "external AI service" in incomplete.value.missing[0].message
    protocol_services.recipient_add(
        protocol=protocol,
        by=pi,
        name="Cloud AI Inc.",
        kind="external_ai_service",
        country="us",
        equivalent_measures=False,
    )
    submission = services.protocol_submit(protocol=protocol, by=pi)
    assert submission.version.snapshot["recipients"][0]["country"] == "US"


@pytest.mark.django_db
def test_the_applicant_can_withdraw_until_the_secretariat_accepts(pi, secretariat):
    protocol = make_complete(pi)
    submission = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_withdraw(submission=submission, by=pi)
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.DRAFT

    again = services.protocol_submit(protocol=protocol, by=pi)
    services.submission_accept(submission=again, by=secretariat, route="expedited")
    with pytest.raises(TransitionRefused) as refused:
        services.submission_withdraw(submission=again, by=pi)
    assert "already accepted" in str(refused.value.reason)
    protocol.refresh_from_db()
    assert protocol.status == ProtocolStatus.IN_REVIEW


@pytest.mark.django_db
def test_a_team_member_without_delegation_cannot_submit(pi, coinvestigator):
    protocol = make_complete(pi)
    protocol_services.team_member_add(
        protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False
    )
    with pytest.raises(TransitionRefused):
        services.protocol_submit(protocol=protocol, by=coinvestigator)


@pytest.mark.django_db
def test_a_delegated_team_member_can_submit(pi, coinvestigator):
    protocol = make_complete(pi)
    protocol_services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=True)
    assert services.protocol_submit(protocol=protocol, by=coinvestigator).submitted_by == coinvestigator


@pytest.mark.django_db
def test_only_the_secretariat_accepts(pi, reviewer):
    submission = services.protocol_submit(protocol=make_complete(pi), by=pi)
    with pytest.raises(TransitionRefused):
        services.submission_accept(submission=submission, by=pi, route="full_board")
    with pytest.raises(PermissionDenied):
        services.submission_accept(submission=submission, by=reviewer, route="full_board")


@pytest.mark.django_db
def test_submitting_twice_is_refused(pi):
    protocol = make_complete(pi)
    services.protocol_submit(protocol=protocol, by=pi)
    with pytest.raises(TransitionRefused) as refused:
        services.protocol_submit(protocol=protocol, by=pi)
    assert "Only a draft" in str(refused.value.reason)


@pytest.mark.django_db
def test_a_multi_site_study_must_name_its_lead_site(pi):
    protocol = make_complete(pi)
    protocol_services.site_add(protocol=protocol, by=pi, name="Site A", site_investigator="", is_lead=False)
    with pytest.raises(services.IncompleteApplication) as incomplete:
        services.protocol_submit(protocol=protocol, by=pi)
    assert [item.message for item in incomplete.value.missing] == ["Mark which participating site is the lead site."]
