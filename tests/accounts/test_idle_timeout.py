"""SEC-03: no long idle sessions."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from research_governance.accounts.middleware import LAST_ACTIVITY_KEY

from .support import is_signed_in, password_step


def idle_for(client, seconds: int) -> None:
    session = client.session
    session[LAST_ACTIVITY_KEY] = int(time.time()) - seconds
    session.save()


def test_sec_03_the_idle_timeout_defaults_to_30_minutes_as_the_example_environment_file_says():
    example = (Path(settings.BASE_DIR) / "docker" / ".env.example").read_text(encoding="utf-8")
    documented = re.search(r"^SESSION_IDLE_TIMEOUT=(\d+)$", example, flags=re.MULTILINE)
    assert documented is not None
    assert int(documented.group(1)) == settings.SESSION_IDLE_TIMEOUT == 30


@pytest.mark.django_db
def test_sec_03_the_idle_clock_starts_at_sign_in(pi):
    client, _ = password_step(pi)
    assert abs(client.session[LAST_ACTIVITY_KEY] - time.time()) < 5


@pytest.mark.django_db
def test_sec_03_a_session_idle_longer_than_the_timeout_ends(client_for, pi):
    client = client_for(pi)
    assert client.get(reverse("protocols:dashboard")).status_code == 200
    idle_for(client, 31 * 60)
    response = client.get(reverse("protocols:dashboard"))
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next=%2Fprotocols%2F"
    assert not is_signed_in(client)
    page = client.get(response.url).content.decode()
    assert "You were signed out after 30 minutes without activity" in page


@pytest.mark.django_db
def test_sec_03_a_session_used_within_the_timeout_goes_on_and_its_clock_restarts(client_for, pi):
    client = client_for(pi)
    idle_for(client, 29 * 60)
    assert client.get(reverse("protocols:dashboard")).status_code == 200
    assert time.time() - client.session[LAST_ACTIVITY_KEY] < 5
    assert is_signed_in(client)


@pytest.mark.django_db
def test_sec_03_the_timeout_is_configurable(client_for, pi, settings):
    settings.SESSION_IDLE_TIMEOUT = 5
    client = client_for(pi)
    idle_for(client, 6 * 60)
    response = client.get(reverse("protocols:dashboard"), follow=True)
    assert "You were signed out after 5 minutes without activity" in response.content.decode()
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_sec_03_an_idle_htmx_request_sends_the_whole_page_to_sign_in(client_for, pi):
    client = client_for(pi)
    idle_for(client, 31 * 60)
    response = client.get(reverse("protocols:dashboard"), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("account_login")
    assert not is_signed_in(client)
