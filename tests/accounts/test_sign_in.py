from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import RoleMembership, User
from research_governance.accounts.selectors import user_roles
from tests.factories import PASSWORD, UserFactory

from .support import sign_in_with_code


@pytest.mark.django_db
def test_signing_in_with_email_and_password_leads_to_the_home(pi):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("account_login"), {"login": "PI@test.example", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("portal:home")
    assert client.get(response.url).status_code == 200


@pytest.mark.django_db
def test_a_wrong_password_is_refused_with_a_message(pi):
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("account_login"), {"login": pi.email, "password": "wrong-password"}
    )
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert 'value="pi@test.example"' in response.content.decode()


@pytest.mark.django_db
def test_an_inactive_user_cannot_sign_in(pi):
    pi.is_active = False
    pi.save()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post(reverse("account_login"), {"login": pi.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("protocols:dashboard")).status_code == 302


@pytest.mark.django_db
def test_nobody_can_sign_themselves_up():
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("account_signup"), {"email": "x@test.example", "password1": "Abcdef123!x", "password2": "Abcdef123!x"}
    )
    assert response.status_code == 200
    assert "Sign Up Closed" in response.content.decode()
    assert not User.objects.filter(email="x@test.example").exists()


@pytest.mark.django_db
def test_password_reset_mails_a_link_to_a_known_address(pi):
    Client(HTTP_ACCEPT_LANGUAGE="en").post(reverse("account_reset_password"), {"email": pi.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [pi.email]
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.django_db
def test_signing_out_ends_the_session(client_for, pi):
    client = client_for(pi)
    client.post(reverse("account_logout"))
    assert client.get(reverse("protocols:dashboard")).status_code == 302


@pytest.mark.django_db
def test_roles_follow_their_terms_in_the_institutions_time_zone(pi):
    membership = RoleMembership.objects.get(user=pi)
    membership.valid_to = timezone.localdate() - timedelta(days=1)
    membership.save()
    assert user_roles(pi) == frozenset()
    fresh = UserFactory(roles=["secretariat"])
    assert user_roles(fresh) == {"secretariat"}


@pytest.mark.django_db
def test_repeated_wrong_passwords_are_rate_limited(pi):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        client.post(reverse("account_login"), {"login": pi.email, "password": "wrong-password"})
    response = client.post(reverse("account_login"), {"login": pi.email, "password": PASSWORD})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_the_secretariat_lands_on_its_home_with_the_queue_in_the_menu(secretariat):
    client, response = sign_in_with_code(secretariat)
    assert response.url == reverse("portal:home")
    assert client.get("/").url == reverse("portal:home")
    assert reverse("reviews:secretariat_queue") in client.get(response.url).content.decode()
