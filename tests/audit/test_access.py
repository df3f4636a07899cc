"""The access log (SEC-04): sign-in, sign-out with the session's length, failed sign-ins,
document downloads and views of a protocol from outside its team."""

import pytest
from django.test import Client
from django.urls import reverse

from research_governance.audit.models import AccessKind, AccessLogEntry
from research_governance.reviews import services as review_services
from tests.factories import PASSWORD, make_complete


def browser() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_USER_AGENT="Mozilla/5.0 " + "x" * 400, REMOTE_ADDR="192.0.2.7")


@pytest.mark.django_db
def test_sec04_sign_in_and_sign_out_are_logged_with_the_session_length(pi):
    client = browser()
    client.post(reverse("account_login"), {"login": pi.email, "password": PASSWORD})
    sign_in = AccessLogEntry.objects.get(kind=AccessKind.SIGN_IN)
    assert sign_in.user == pi
    assert sign_in.identifier == pi.email
    assert str(sign_in.ip_address) == "192.0.2.7"
    assert sign_in.user_agent.startswith("Mozilla/5.0")
    assert len(sign_in.user_agent) == 255
    assert len(sign_in.session_key_hash) == 64
    assert client.session.session_key not in sign_in.session_key_hash

    client.post(reverse("account_logout"))
    sign_out = AccessLogEntry.objects.get(kind=AccessKind.SIGN_OUT)
    assert sign_out.user == pi
    assert sign_out.session_key_hash == sign_in.session_key_hash
    assert sign_out.session_duration is not None
    assert sign_out.session_duration.total_seconds() >= 0


@pytest.mark.django_db
def test_sec04_a_failed_sign_in_is_logged_with_the_identifier_and_never_the_password(pi):
    browser().post(reverse("account_login"), {"login": pi.email, "password": "wrong-password-123"})
    entry = AccessLogEntry.objects.get()
    assert entry.kind == AccessKind.SIGN_IN_FAILED
    assert entry.user is None
    assert entry.identifier == pi.email
    assert "wrong-password" not in str(AccessLogEntry.objects.values().get())


@pytest.mark.django_db
def test_sec04_a_document_download_is_logged(pi, client_for):
    protocol = make_complete(pi)
    version = protocol.documents.order_by("pk").first().versions.order_by("pk").first()
    response = client_for(pi).get(reverse("protocols:document_download", args=[protocol.pk, version.pk]))
    assert response.status_code == 200
    entry = AccessLogEntry.objects.get(kind=AccessKind.DOCUMENT_DOWNLOAD)
    assert (entry.user, entry.target_type, entry.target_id) == (pi, "protocols.documentversion", str(version.pk))


@pytest.mark.django_db
def test_sec04_a_view_from_outside_the_team_is_logged_and_the_team_s_own_views_are_not(pi, secretariat, client_for):
    protocol = make_complete(pi)
    review_services.protocol_submit(protocol=protocol, by=pi)
    assert client_for(pi).get(reverse("protocols:detail", args=[protocol.pk])).status_code == 200
    assert not AccessLogEntry.objects.filter(kind=AccessKind.PROTOCOL_VIEW).exists()
    assert client_for(secretariat).get(reverse("protocols:detail", args=[protocol.pk])).status_code == 200
    entry = AccessLogEntry.objects.get(kind=AccessKind.PROTOCOL_VIEW)
    assert (entry.user, entry.target_type, entry.target_id) == (secretariat, "protocols.protocol", str(protocol.pk))


@pytest.mark.django_db
def test_sec04_access_log_entries_cannot_be_changed_or_deleted_through_the_orm(pi):
    browser().post(reverse("account_login"), {"login": pi.email, "password": PASSWORD})
    entry = AccessLogEntry.objects.get()
    entry.identifier = "someone@else.example"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AccessLogEntry.objects.update(identifier="x")
    with pytest.raises(TypeError):
        AccessLogEntry.objects.all().delete()
