"""`python manage.py demo_totp EMAIL`: the demo's stand-in for an authenticator app."""

import io

import pytest
from django.core.management import CommandError, call_command

from research_governance.accounts.mfa import provision_totp
from research_governance.demo.management.commands.seed_demo import DEMO_TOTP_SECRET
from tests.factories import UserFactory, totp_code


def run(email: str) -> str:
    out = io.StringIO()
    call_command("demo_totp", email, stdout=out)
    return out.getvalue().strip()


@pytest.mark.django_db
def test_it_prints_the_current_code_of_a_demo_user(settings):
    settings.DEBUG = True
    user = UserFactory(email="demo-chair@demo.example")
    provision_totp(user, DEMO_TOTP_SECRET)
    assert run("Demo-Chair@demo.example") in {totp_code(DEMO_TOTP_SECRET, step=s) for s in (0, 1)}


@pytest.mark.django_db
def test_it_refuses_with_debug_off(settings):
    settings.DEBUG = False
    provision_totp(UserFactory(email="demo-chair@demo.example"), DEMO_TOTP_SECRET)
    with pytest.raises(CommandError, match="DEBUG"):
        run("demo-chair@demo.example")


@pytest.mark.django_db
def test_it_never_prints_codes_of_a_real_authenticator(settings, secretariat):
    settings.DEBUG = True
    with pytest.raises(CommandError, match="no demo authenticator"):
        run(secretariat.email)
