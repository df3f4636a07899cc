"""Every protocol page, tried as the PI and as people who may not use it: a team
member without delegation, another investigator, an unassigned reviewer, the
secretariat (before and after submission) and an anonymous visitor."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.demo.samples import minimal_pdf
from research_governance.protocols import services
from research_governance.protocols.forms import ProtocolDraftForm
from research_governance.protocols.models import Protocol, ProtocolStatus
from research_governance.reviews.services import protocol_submit
from research_governance.reviews.services import submission_accept as accept_submission
from tests.factories import UserFactory, attach, make_complete, make_draft


@pytest.fixture
def protocol(pi, coinvestigator):
    protocol = make_draft(pi, summary="Secret summary of the study")
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False)
    attach(protocol, pi, "protocol", "protocol.pdf")
    return protocol


def listing(response) -> str:
    """The dashboard's table of protocols, without the "waiting for you" panel."""
    return listing_of(response.content.decode())


def listing_of(page: str) -> str:
    return page.split('id="list-heading"', 1)[1]


def draft_post(protocol, **changes) -> dict:
    """What the browser sends from the edit page: every field as shown, with the user's changes."""
    form = ProtocolDraftForm(instance=protocol)
    data = {}
    for field in form:
        value = field.value()
        if getattr(field.field.widget, "input_type", "") == "checkbox":
            if value:  # an unticked checkbox sends nothing
                data[field.name] = "on"
        elif isinstance(value, bool):
            data[field.name] = "true" if value else "false"  # the Yes / No radios
        elif value is not None:
            data[field.name] = value
    data.update(changes)
    return data


def url(name, protocol, *args):
    return reverse(f"protocols:{name}", args=[protocol.pk, *args])


# ---- reading -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_pi_and_the_team_see_the_protocol_page(client_for, protocol, pi, coinvestigator):
    for user in (pi, coinvestigator):
        response = client_for(user).get(url("detail", protocol))
        assert response.status_code == 200
        assert "Secret summary of the study" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_investigator", "reviewer", "secretariat"])
def test_people_off_the_team_get_404_for_a_draft(client_for, protocol, persona, request):
    user = request.getfixturevalue(persona)
    for page in ("detail", "edit", "submit"):
        response = client_for(user).get(url(page, protocol))
        assert response.status_code == 404
        assert "Secret summary" not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for, protocol):
    for page in ("detail", "edit", "submit", "team_add", "document_add"):
        response = client_for(None).get(url(page, protocol))
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")
    assert client_for(None).get(reverse("protocols:dashboard")).status_code == 302
    assert client_for(None).get(reverse("protocols:create")).status_code == 302
    assert client_for(None).get(url("version_detail", protocol, 1)).status_code == 302
    assert client_for(None).post(url("edit", protocol), draft_post(protocol, summary="x")).status_code == 302


@pytest.mark.django_db
def test_the_secretariat_sees_a_protocol_once_it_is_submitted(client_for, pi, secretariat):
    protocol = make_complete(pi)
    protocol_submit(protocol=protocol, by=pi)
    assert client_for(secretariat).get(url("detail", protocol)).status_code == 200
    assert client_for(secretariat).get(url("edit", protocol)).status_code == 403


@pytest.mark.django_db
def test_the_dashboard_lists_only_my_protocols(client_for, protocol, pi, other_investigator):
    make_draft(other_investigator, title_ja="他人の研究")
    page = client_for(pi).get(reverse("protocols:dashboard")).content.decode()
    assert protocol.reference in page
    assert "他人の研究" not in page
    other_page = client_for(other_investigator).get(reverse("protocols:dashboard")).content.decode()
    assert protocol.reference not in other_page


@pytest.mark.django_db
def test_the_dashboard_filters_by_status_and_title(client_for, pi):
    draft = make_draft(pi, title_ja="睡眠研究")
    submitted = make_complete(pi, title_en="Diabetes registry")
    protocol_submit(protocol=submitted, by=pi)
    client = client_for(pi)
    page = listing(client.get(reverse("protocols:dashboard"), {"status": "submitted"}))
    assert submitted.reference in page
    assert draft.reference not in page
    page = listing(client.get(reverse("protocols:dashboard"), {"q": "睡眠"}))
    assert draft.reference in page
    assert submitted.reference not in page


@pytest.mark.django_db
def test_the_dashboard_query_count_does_not_grow_with_the_number_of_protocols(client_for, pi):
    client = client_for(pi)

    def queries() -> int:
        # The first page after a change recounts the menu's "Waiting for you"; compare settled pages.
        client.get(reverse("protocols:dashboard"))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("protocols:dashboard")).status_code == 200
        return len(captured)

    make_draft(pi)
    few = queries()
    for _ in range(30):
        make_draft(pi)
    assert queries() == few
    assert few <= 9


@pytest.mark.django_db
def test_the_dashboard_paginates(client_for, pi):
    for _ in range(27):
        make_draft(pi)
    client = client_for(pi)
    first = client.get(reverse("protocols:dashboard")).content.decode()
    assert "Page 1 of 2" in first
    second = client.get(reverse("protocols:dashboard"), {"page": 2}).content.decode()
    assert second.count("<tr>") == 1 + 2


@pytest.mark.django_db
def test_the_protocol_page_query_count_does_not_grow_with_its_history(client_for, pi):
    protocol = make_draft(pi)
    client = client_for(pi)

    def queries() -> int:
        # The first page after a change recounts the menu's "Waiting for you"; compare settled pages.
        client.get(url("detail", protocol))
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("detail", protocol)).status_code == 200
        return len(captured)

    few = queries()
    for n in range(10):
        protocol.refresh_from_db()
        services.protocol_update_draft(
            protocol=protocol, by=pi, data={"summary": f"v{n}"}, lock_version=protocol.lock_version
        )
        attach(protocol, pi, "other", f"f{n}.pdf")
    assert queries() == few


# ---- editing -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_team_member_without_delegation_may_not_edit(client_for, protocol, coinvestigator):
    client = client_for(coinvestigator)
    assert client.get(url("edit", protocol)).status_code == 403
    response = client.post(url("edit", protocol), draft_post(protocol, summary="hijack"))
    assert response.status_code == 403
    protocol.refresh_from_db()
    assert protocol.summary == "Secret summary of the study"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_investigator", "reviewer", "secretariat"])
def test_people_off_the_team_cannot_change_anything(client_for, protocol, persona, request):
    client = client_for(request.getfixturevalue(persona))
    document = protocol.documents.get()
    member = protocol.team_members.get()
    site = services.site_add(
        protocol=protocol, by=protocol.principal_investigator, name="S", site_investigator="", is_lead=False
    )
    recipient = services.recipient_add(
        protocol=protocol,
        by=protocol.principal_investigator,
        name="R",
        kind="company",
        country="US",
        equivalent_measures=False,
    )
    attempts = [
        (url("edit", protocol), draft_post(protocol, summary="hijack")),
        (url("team_add", protocol), {"team-email": "x@test.example", "team-role": "staff"}),
        (url("team_remove", protocol, member.pk), {}),
        (url("site_add", protocol), {"site-name": "Site"}),
        (
            url("recipient_add", protocol),
            {"recipient-name": "R", "recipient-kind": "company", "recipient-country": "US"},
        ),
        (url("document_withdraw", protocol, document.pk), {}),
        (
            url("document_add", protocol),
            {"document-kind": "other", "document-file": SimpleUploadedFile("a.pdf", minimal_pdf("a"))},
        ),
        (
            url("document_replace", protocol, document.pk),
            {"replace-file": SimpleUploadedFile("b.pdf", minimal_pdf("b"))},
        ),
        (url("site_remove", protocol, site.pk), {}),
        (url("recipient_remove", protocol, recipient.pk), {}),
        (url("submit", protocol), {}),
    ]
    for target, data in attempts:
        assert client.post(target, data).status_code == 404, target
    protocol.refresh_from_db()
    assert protocol.summary == "Secret summary of the study"
    assert protocol.team_members.count() == 1
    assert protocol.documents.get().withdrawn_at is None
    assert protocol.documents.get().versions.count() == 1
    assert protocol.sites.count() == 1
    assert protocol.recipients.count() == 1


@pytest.mark.django_db
def test_the_pi_saves_the_draft(client_for, protocol, pi):
    response = client_for(pi).post(url("edit", protocol), draft_post(protocol, summary="Updated", title_ja="題名"))
    assert response.status_code == 302
    protocol.refresh_from_db()
    assert protocol.summary == "Updated"
    assert protocol.title_ja == "題名"


@pytest.mark.django_db
def test_autosave_answers_htmx_with_the_new_lock_version(client_for, protocol, pi):
    response = client_for(pi).post(
        url("edit", protocol),
        draft_post(protocol, summary="Typed"),
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "Saved at" in page
    assert f'value="{protocol.lock_version + 1}"' in page
    assert 'hx-swap-oob="true"' in page


@pytest.mark.django_db
def test_a_stale_tab_gets_a_clear_conflict_and_keeps_what_was_typed(client_for, protocol, pi):
    client = client_for(pi)
    stale = protocol.lock_version
    client.post(url("edit", protocol), draft_post(protocol, summary="From the first tab"))
    response = client.post(url("edit", protocol), draft_post(protocol, summary="From the second tab"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "changed elsewhere" in page
    assert "From the second tab" in page
    protocol.refresh_from_db()
    assert protocol.summary == "From the first tab"

    autosave = client.post(
        url("edit", protocol),
        draft_post(protocol, summary="From the second tab", lock_version=stale),
        HTTP_HX_REQUEST="true",
    )
    assert "changed elsewhere" in autosave.content.decode()


@pytest.mark.django_db
def test_a_wrong_number_is_explained_and_the_other_fields_are_kept(client_for, protocol, pi):
    response = client_for(pi).post(
        url("edit", protocol),
        draft_post(protocol, summary="Kept text", target_participants="many"),
    )
    page = response.content.decode()
    assert "Enter a whole number." in page
    assert "Kept text" in page
    assert 'value="many"' in page
    protocol.refresh_from_db()
    assert protocol.summary == "Secret summary of the study"


@pytest.mark.django_db
def test_an_end_date_before_the_start_is_explained(client_for, protocol, pi):
    page = (
        client_for(pi)
        .post(
            url("edit", protocol),
            draft_post(protocol, planned_start="2028-01-01", planned_end="2027-01-01"),
        )
        .content.decode()
    )
    assert "must not be before the planned start" in page
    assert 'value="2028-01-01"' in page


@pytest.mark.django_db
def test_creating_without_a_title_says_so_and_creates_nothing(client_for, pi):
    response = client_for(pi).post(reverse("protocols:create"), {"title_ja": "", "title_en": " "})
    assert response.status_code == 200
    assert "Give the study a title" in response.content.decode()
    assert not Protocol.objects.exists()


@pytest.mark.django_db
def test_creating_a_protocol_opens_its_draft(client_for, pi):
    response = client_for(pi).post(reverse("protocols:create"), {"title_en": "New study"})
    protocol = Protocol.objects.get()
    assert response.url == reverse("protocols:edit", args=[protocol.pk])
    assert protocol.principal_investigator == pi


@pytest.mark.django_db
def test_team_members_are_added_by_email_and_unknown_addresses_explained(client_for, protocol, pi):
    newcomer = UserFactory(email="new@test.example")
    client = client_for(pi)
    client.post(
        url("team_add", protocol), {"team-email": "NEW@test.example", "team-role": "staff", "team-can_edit": "on"}
    )
    assert protocol.team_members.filter(user=newcomer, can_edit=True).exists()
    response = client.post(url("team_add", protocol), {"team-email": "nobody@test.example", "team-role": "staff"})
    page = response.content.decode()
    assert "No active account has this email address" in page
    assert "nobody@test.example" in page


@pytest.mark.django_db
def test_htmx_team_changes_return_only_the_team_section(client_for, protocol, pi):
    UserFactory(email="new@test.example")
    response = client_for(pi).post(
        url("team_add", protocol), {"team-email": "new@test.example", "team-role": "staff"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card mb-4" id="team"')
    assert "new@test.example" in page


@pytest.mark.django_db
def test_sites_and_recipients_are_added_and_removed(client_for, protocol, pi):
    client = client_for(pi)
    client.post(url("site_add", protocol), {"site-name": "Tokyo Hospital", "site-is_lead": "on"})
    client.post(
        url("recipient_add", protocol),
        {"recipient-name": "Lab", "recipient-kind": "research_institution", "recipient-country": "de"},
    )
    site = protocol.sites.get()
    recipient = protocol.recipients.get()
    assert site.is_lead
    assert recipient.country == "DE"
    response = client.post(
        url("recipient_add", protocol),
        {"recipient-name": "Lab", "recipient-kind": "company", "recipient-country": "Germany"},
    )
    assert "two-letter ISO country code" in response.content.decode()
    client.post(url("site_remove", protocol, site.pk))
    client.post(url("recipient_remove", protocol, recipient.pk))
    assert not protocol.sites.exists()
    assert not protocol.recipients.exists()


# ---- documents -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_oversized_upload_is_refused_with_a_message_and_the_form_kept(client_for, protocol, pi, settings):
    settings.UPLOAD_MAX_BYTES = 2000
    big = SimpleUploadedFile("consent.pdf", minimal_pdf("big") + b"\0" * 5000, content_type="application/pdf")
    response = client_for(pi).post(
        url("document_add", protocol),
        {"document-kind": "consent_form", "document-title": "My consent form v3", "document-file": big},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "the limit is 2.0\xa0KB" in page
    assert 'value="My consent form v3"' in page
    assert '<option value="consent_form" selected>' in page
    assert protocol.documents.count() == 1


@pytest.mark.django_db
def test_an_executable_renamed_pdf_is_refused_with_a_message(client_for, protocol, pi):
    fake = SimpleUploadedFile("consent.pdf", b"MZ\x90\x00" + b"\0" * 500, content_type="application/pdf")
    response = client_for(pi).post(
        url("document_add", protocol),
        {"document-kind": "consent_form", "document-title": "Consent", "document-file": fake},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "Windows executable" in page
    assert 'value="Consent"' in page
    assert protocol.documents.count() == 1


@pytest.mark.django_db
def test_a_replacement_keeps_the_old_version_downloadable(client_for, protocol, pi):
    document = protocol.documents.get()
    client = client_for(pi)
    client.post(
        url("document_replace", protocol, document.pk),
        {"replace-file": SimpleUploadedFile("protocol-v2.pdf", minimal_pdf("v2"))},
    )
    document.refresh_from_db()
    assert document.current_version.number == 2
    old = document.versions.get(number=1)
    response = client.get(url("document_download", protocol, old.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "protocol.pdf" in response["Content-Disposition"]


@pytest.mark.django_db
def test_a_bad_replacement_is_explained_next_to_its_document(client_for, protocol, pi):
    document = protocol.documents.get()
    response = client_for(pi).post(
        url("document_replace", protocol, document.pk), {"replace-file": SimpleUploadedFile("x.pdf", b"plain text")}
    )
    assert "not one of the allowed types" in response.content.decode()
    document.refresh_from_db()
    assert document.current_version.number == 1


@pytest.mark.django_db
def test_downloads_are_refused_to_people_off_the_team(client_for, protocol, other_investigator, reviewer):
    version = protocol.documents.get().current_version
    for user in (other_investigator, reviewer, None):
        response = client_for(user).get(url("document_download", protocol, version.pk))
        assert response.status_code in (404, 302)


@pytest.mark.django_db
def test_a_file_of_another_protocol_cannot_be_fetched_through_mine(client_for, protocol, pi, other_investigator):
    theirs = make_draft(other_investigator)
    attach(theirs, other_investigator, "protocol")
    version = theirs.documents.get().current_version
    assert client_for(pi).get(url("document_download", protocol, version.pk)).status_code == 404


@pytest.mark.django_db
def test_the_version_page_shows_what_was_submitted(client_for, pi, coinvestigator, other_investigator):
    protocol = make_complete(pi, summary="As submitted")
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False)
    submission = protocol_submit(protocol=protocol, by=pi)
    page = client_for(coinvestigator).get(url("version_detail", protocol, 1)).content.decode()
    assert "As submitted" in page
    assert "consent.pdf" in page
    assert client_for(other_investigator).get(url("version_detail", protocol, 1)).status_code == 404
    assert submission.version.number == 1


@pytest.mark.django_db
def test_an_edit_page_for_a_submitted_protocol_sends_the_pi_back_with_a_reason(client_for, pi):
    protocol = make_complete(pi)
    protocol_submit(protocol=protocol, by=pi)
    client = client_for(pi)
    response = client.get(url("edit", protocol), follow=True)
    assert "can no longer be edited" in response.content.decode()
    assert Protocol.objects.get().status == ProtocolStatus.SUBMITTED


# ---- the cached dashboard ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_cached_dashboard_shows_a_status_change_made_by_someone_else(client_for, pi, secretariat):
    protocol = make_complete(pi)
    submission = protocol_submit(protocol=protocol, by=pi)
    client = client_for(pi)
    badge = '<span class="badge rounded-pill text-bg-info">In review</span>'
    assert badge not in listing(client.get(reverse("protocols:dashboard")))
    accept_submission(submission=submission, by=secretariat, route="full_board")
    assert badge in listing(client.get(reverse("protocols:dashboard")))


@pytest.mark.django_db
def test_someone_removed_from_the_team_no_longer_sees_it_on_the_cached_dashboard(client_for, pi, coinvestigator):
    protocol = make_draft(pi, title_ja="共同研究の課題")
    member = services.team_member_add(
        protocol=protocol, by=pi, user=coinvestigator, role="co_investigator", can_edit=False
    )
    client = client_for(coinvestigator)
    assert "共同研究の課題" in listing(client.get(reverse("protocols:dashboard")))
    services.team_member_remove(member=member, by=pi)
    assert "共同研究の課題" not in client.get(reverse("protocols:dashboard")).content.decode()


@pytest.mark.django_db
def test_someone_added_to_a_team_sees_it_on_the_cached_dashboard_at_once(client_for, pi, coinvestigator):
    client = client_for(coinvestigator)
    assert "You have no protocols yet." in client.get(reverse("protocols:dashboard")).content.decode()
    protocol = make_draft(pi, title_ja="新しい課題")
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=True)
    page = client.get(reverse("protocols:dashboard")).content.decode()
    assert "新しい課題" in listing_of(page)
    assert "Continue the draft" in page


@pytest.mark.django_db
def test_a_title_changed_by_a_colleague_shows_on_the_cached_dashboard(client_for, pi, coinvestigator):
    protocol = make_draft(pi, title_ja="古い題名")
    services.team_member_add(protocol=protocol, by=pi, user=coinvestigator, role="staff", can_edit=True)
    client = client_for(pi)
    assert "古い題名" in listing(client.get(reverse("protocols:dashboard")))
    protocol.refresh_from_db()
    services.protocol_update_draft(
        protocol=protocol, by=coinvestigator, data={"title_ja": "新しい題名"}, lock_version=protocol.lock_version
    )
    page = listing(client.get(reverse("protocols:dashboard")))
    assert "新しい題名" in page
    assert "古い題名" not in page


@pytest.mark.django_db
def test_a_repeated_dashboard_visit_is_served_with_fewer_queries(client_for, pi):
    for _ in range(5):
        make_draft(pi)
    client = client_for(pi)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("protocols:dashboard"))
        return len(captured)

    first = queries()
    assert queries() < first
