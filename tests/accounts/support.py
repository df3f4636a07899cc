"""Signing in the way people do: email and password, then a code when allauth asks for one."""

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from research_governance.accounts.models import User
from tests.factories import PASSWORD, totp_code


def password_step(user: User, client: Client | None = None) -> tuple[Client, HttpResponse]:
    client = client or Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    return client, response


def sign_in_with_code(user: User, code: str | None = None, *, step: int = 0) -> tuple[Client, HttpResponse]:
    """Password, then the authenticator code (by default the app's current one)."""
    client, response = password_step(user)
    assert response.url == reverse("mfa_authenticate"), "allauth asks for the second factor"
    response = client.post(reverse("mfa_authenticate"), {"code": code or totp_code(step=step)})
    return client, response


def is_signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session
