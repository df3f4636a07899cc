import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse


@pytest.mark.django_db
def test_unknown_pages_get_the_friendly_404(client_for, pi):
    response = client_for(pi).get("/no-such-page/")
    assert response.status_code == 404
    assert "This page does not exist, or you do not have access to it." in response.content.decode()


@pytest.mark.django_db
def test_pages_are_served_under_a_strict_content_security_policy(client_for, pi):
    response = client_for(pi).get(reverse("protocols:dashboard"))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"


def test_no_template_carries_inline_script_or_style():
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert "<style" not in text, path
        assert not re.search(r"\sstyle=\"", text), path
        assert not re.search(r"\son[a-z]+=\"", text), path


@pytest.mark.django_db
def test_home_sends_visitors_to_sign_in_and_users_to_their_home(client_for, pi):
    assert client_for(None).get("/").url == reverse("account_login")
    assert client_for(pi).get("/").url == reverse("portal:home")
