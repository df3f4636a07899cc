"""Downloads go to whoever may view the protocol (404 for everybody else); the public verification
page shows the letter's reference, date, kind and hash, checks a copy, and reveals nothing else."""

import hashlib
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.letters import services
from research_governance.protocols.access_services import grant_team_access
from research_governance.reviews.models import ConflictDeclaration
from tests.factories import InstitutionFactory, UserFactory
from tests.reviews.decisions_support import seat


@pytest.fixture
def letter(decision):
    return services.letter_issue(decision_id=decision.pk, kind="decision", language="ja")


def download(letter) -> str:
    return reverse("letters:download", args=[letter.pk])


def verify(letter) -> str:
    return reverse("letters:verify", args=[letter.verification_code])


@pytest.mark.django_db
def test_those_who_may_view_the_protocol_download_the_pdf(
    client_for, letter, pi, coinvestigator, secretariat, chair, head
):
    protocol = letter.protocol
    # On the team without editing rights (as team_member_add grants while the application is a draft).
    grant_team_access(user=coinvestigator, protocol=protocol, can_edit=False)
    stored = letter.file.read()
    for user in (pi, coinvestigator, secretariat, chair, head):
        response = client_for(user).get(download(letter))
        assert response.status_code == 200, user
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{letter.reference}.pdf"'
        assert response["Cache-Control"] == "private, no-store"
        assert b"".join(response.streaming_content) == stored


@pytest.mark.django_db
def test_everybody_else_gets_404_and_anonymous_visitors_sign_in(
    client_for, letter, other_investigator, reviewer, committee
):
    submission = letter.decision.submission
    conflicted = seat(committee)
    ConflictDeclaration.objects.create(
        submission=submission,
        member=conflicted,
        has_conflict=True,
        reason="Consults",
        declared_at=submission.submitted_at,
    )
    elsewhere_head = UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.HEAD])
    # The auditor reads every submitted study of their own institution (issue 7), not another's.
    elsewhere_auditor = UserFactory(institution=InstitutionFactory(code="elsewhere"), roles=[Role.AUDITOR])
    for user in (other_investigator, reviewer, conflicted, elsewhere_head, elsewhere_auditor):
        assert client_for(user).get(download(letter)).status_code == 404, user
    assert client_for(UserFactory(roles=[Role.AUDITOR])).get(download(letter)).status_code == 200
    anonymous = client_for(None).get(download(letter))
    assert anonymous.status_code == 302
    assert anonymous.url.startswith("/accounts/login/")
    assert client_for(other_investigator).get(reverse("letters:download", args=[letter.pk + 1000])).status_code == 404


@pytest.mark.django_db
def test_the_media_folder_serves_nothing(client_for, letter, pi):
    assert client_for(pi).get(f"/media/{letter.file.name}").status_code == 404
    assert client_for(pi).get(f"/{letter.file.name}").status_code == 404


@pytest.mark.django_db
def test_the_verification_page_shows_the_letter_s_facts_and_nothing_about_the_research(client_for, letter):
    response = client_for(None).get(verify(letter))
    assert response.status_code == 200
    page = response.content.decode()
    assert letter.reference in page
    assert letter.sha256 in page
    assert "Notice of the committee&#x27;s decision" in page
    # The day in Tokyo, where the page shows times: from 15:00 UTC it is already tomorrow there.
    assert timezone.localtime(letter.created_at).strftime("%Y-%m-%d") in page
    protocol = letter.protocol
    decision = letter.decision
    for secret in (
        protocol.reference,
        protocol.title_ja,
        protocol.title_en,
        protocol.principal_investigator.name_latin,
        protocol.principal_investigator.email,
        decision.reasons,
        "同意書に相談窓口",
        "Report enrolment",
        reverse("protocols:detail", args=[protocol.pk]),
        reverse("letters:download", args=[letter.pk]),
    ):
        assert secret not in page, secret
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_an_unknown_code_is_404(client_for, letter):
    assert client_for(None).get(reverse("letters:verify", args=["not-a-code"])).status_code == 404
    assert client_for(None).get(reverse("letters:verify", args=[letter.verification_code[:-1]])).status_code == 404


def upload(content: bytes, name: str = "letter.pdf") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


@pytest.mark.django_db
def test_a_copy_is_checked_against_the_stored_hash(client_for, letter):
    client = client_for(None)
    original = letter.file.read()
    matching = client.post(verify(letter), {"file": upload(original)})
    assert matching.status_code == 200
    assert "The file matches." in matching.content.decode()
    middle = len(original) // 2
    tampered = original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :]
    assert hashlib.sha256(tampered).hexdigest() != letter.sha256
    changed = client.post(verify(letter), {"file": upload(tampered)}).content.decode()
    assert "The file does not match." in changed
    assert hashlib.sha256(tampered).hexdigest() in changed
    other = client.post(verify(letter), {"file": upload(b"%PDF-1.7 something else")}).content.decode()
    assert "The file does not match." in other
    empty = client.post(verify(letter), {}).content.decode()
    assert "matches" not in empty


@pytest.mark.django_db
def test_the_upload_is_size_limited(client_for, letter, monkeypatch):
    from research_governance.letters import views

    monkeypatch.setattr(views, "VERIFY_MAX_BYTES", 1000)
    monkeypatch.setattr(views, "_ENVELOPE_BYTES", 100)
    response = client_for(None).post(verify(letter), {"file": upload(b"x" * 5000)})
    assert response.status_code == 413
    assert "too large" in response.content.decode()
    monkeypatch.setattr(services, "VERIFY_MAX_BYTES", 1000)
    with pytest.raises(Exception, match="too large"):
        services.letter_check(letter=letter, upload=io.BytesIO(b"x" * 5000))


@pytest.mark.django_db
def test_a_replaced_letter_says_so_on_its_verification_page(client_for, letter, secretariat):
    corrected = services.letter_correct(letter=letter, by=secretariat, reason="Typo.")
    page = client_for(None).get(verify(letter)).content.decode()
    assert f"replaced by the letter {corrected.reference}" in page
    assert "replaced" not in client_for(None).get(verify(corrected)).content.decode()


@pytest.mark.django_db
def test_the_decision_panel_lists_the_letters(client_for, letter, pi, secretariat):
    english = services.letter_issue(decision_id=letter.decision_id, kind="decision", language="en")
    page = client_for(pi).get(reverse("protocols:detail", args=[letter.protocol_id])).content.decode()
    assert 'id="letters"' in page
    assert reverse("letters:download", args=[letter.pk]) in page
    assert reverse("letters:download", args=[english.pk]) in page
    assert letter.reference in page
    services.letter_correct(letter=letter, by=secretariat, reason="Typo.")
    page = client_for(pi).get(reverse("protocols:detail", args=[letter.protocol_id])).content.decode()
    assert "replaced by a corrected version" in page
    assert "version 2" in page
