import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from research_governance.accounts.models import User
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.demo.management.commands.seed_demo import DEMO_PASSWORD
from research_governance.protocols.models import Protocol

DEMO_EMAILS = [
    "investigator@demo.example",
    "coinvestigator@demo.example",
    "secretariat@demo.example",
    *[f"reviewer{n}@demo.example" for n in range(1, 6)],
    "chair@demo.example",
    "head@demo.example",
    "dac@demo.example",
    "auditor@demo.example",
    "admin@demo.example",
]


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


@pytest.mark.django_db
def test_seed_demo_creates_the_users_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    counts = (User.objects.count(), Protocol.objects.count(), CommitteeMembership.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), Protocol.objects.count(), CommitteeMembership.objects.count()) == counts
    assert set(DEMO_EMAILS) <= set(User.objects.values_list("email", flat=True))
    assert set(Protocol.objects.values_list("status", flat=True)) == {
        "draft",
        "submitted",
        "in_review",
        "returned",
        "approved",
        "awaiting_permission",
    }


@pytest.mark.django_db
def test_force_runs_it_with_debug_off(settings):
    settings.DEBUG = False
    call_command("seed_demo", "--force")
    assert User.objects.filter(email="investigator@demo.example").exists()


@pytest.mark.django_db
def test_the_demo_investigator_signs_in_with_the_documented_password(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    client = Client()
    response = client.post(reverse("account_login"), {"login": "investigator@demo.example", "password": DEMO_PASSWORD})
    assert response.url == reverse("portal:home")
    # The header and the PI's seven studies (the last, a retrospective opt-out study with its public notice).
    assert client.get(reverse("protocols:dashboard")).content.decode().count("<tr>") == 1 + 7


@pytest.mark.django_db
def test_the_demo_ethics_committee_roster_satisfies_jp_erc_01_to_05(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    committee = Committee.objects.get(kind=Committee.Kind.ETHICS)
    voting = committee.memberships.exclude(role=CommitteeMembership.Role.SECRETARIAT)
    # JP-ERC-01 (and JP-ERC-02: one category per member, enforced by the single field)
    assert set(voting.values_list("category", flat=True)) >= {"natural_science", "humanities_social", "general_public"}
    assert voting.filter(is_external=True).count() >= 2  # JP-ERC-03
    assert set(voting.values_list("sex", flat=True)) >= {"female", "male"}  # JP-ERC-04
    assert voting.count() >= 5  # JP-ERC-05


@pytest.mark.django_db
def test_sec_02_privileged_demo_users_sign_in_with_the_documented_second_factor(settings):
    from allauth.mfa.models import Authenticator

    from research_governance.demo.management.commands.seed_demo import DEMO_TOTP_SECRET
    from tests.factories import totp_code

    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")  # idempotent: one authenticator each
    with_app = set(Authenticator.objects.filter(type="totp").values_list("user__email", flat=True))
    assert "investigator@demo.example" not in with_app
    assert {
        "secretariat@demo.example",
        "chair@demo.example",
        "reviewer5@demo.example",
        "admin@demo.example",
    } <= with_app
    assert {"partner-head@demo.example", "dac@demo.example", "auditor@demo.example", "head@demo.example"} <= with_app
    assert Authenticator.objects.filter(type="totp").count() == len(with_app)
    client = Client()
    response = client.post(reverse("account_login"), {"login": "secretariat@demo.example", "password": DEMO_PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    response = client.post(response.url, {"code": totp_code(DEMO_TOTP_SECRET)})
    assert response.url == reverse("portal:home")
    assert client.get(response.url).status_code == 200
