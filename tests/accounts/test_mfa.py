"""SEC-02: privileged users sign in with a second factor, and cannot work until they have one."""

import re
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from research_governance.accounts.models import Role
from research_governance.audit.models import AuditEvent
from research_governance.committees.models import CommitteeMembership
from tests.committees.support import make_committee
from tests.factories import PASSWORD, TOTP_SECRET, UserFactory, totp_code

from .support import is_signed_in, password_step, sign_in_with_code

QUEUE = "reviews:secretariat_queue"


def without_second_factor(user):
    Authenticator.objects.filter(user=user).delete()
    return user


@pytest.fixture
def newcomer(db):
    """A new member of the secretariat who has not set up two-factor authentication yet."""
    return without_second_factor(UserFactory(email="newcomer@test.example", roles=[Role.SECRETARIAT]))


def messages_of(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


@pytest.mark.django_db
def test_sec_02_the_required_roles_are_the_privileged_ones():
    assert set(settings.MFA_REQUIRED_ROLES) == set(Role.values) - {Role.INVESTIGATOR}


@pytest.mark.django_db
def test_sec_02_a_privileged_user_without_a_second_factor_is_sent_to_set_one_up(newcomer):
    client, response = password_step(newcomer)
    # No second factor yet: the password alone signs in, and the first page is the set-up page.
    assert response.url == reverse("portal:home")
    response = client.get(reverse(QUEUE))
    assert response.status_code == 302
    assert response.url == reverse("mfa_activate_totp")
    # allauth asks for the password once more before any change to how one signs in.
    page = client.get(response.url, follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "requires two-factor authentication" in messages_of(page)
    page = client.post(page.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert "Set up two-factor authentication" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(Role.values))
def test_sec_02_every_privileged_role_is_held_back_and_investigators_are_not(client_for, role):
    user = without_second_factor(UserFactory(roles=[role]))
    response = client_for(user).get(reverse("protocols:dashboard"))
    if role == Role.INVESTIGATOR:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response.url == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_sec_02_a_committee_seat_requires_a_second_factor_even_without_the_role(client_for, pi):
    committee, _ = make_committee([("natural_science", False, "male")])
    CommitteeMembership.objects.create(committee=committee, user=pi, category="general_public")
    response = client_for(pi).get(reverse("protocols:dashboard"))
    assert response.url == reverse("mfa_activate_totp")
    # A seat whose term has ended no longer counts.
    CommitteeMembership.objects.filter(user=pi).update(
        valid_from=timezone.localdate() - timedelta(days=30), valid_to=timezone.localdate() - timedelta(days=1)
    )
    assert client_for(pi).get(reverse("protocols:dashboard")).status_code == 200


@pytest.mark.django_db
def test_sec_02_admin_staff_need_a_second_factor(client_for):
    staff = without_second_factor(UserFactory(is_staff=True))
    assert client_for(staff).get(reverse("admin:index")).url == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_sec_02_an_investigator_without_a_second_factor_is_not_asked_for_one(pi):
    client, response = password_step(pi)
    assert response.url == reverse("portal:home")
    assert client.get(reverse("protocols:dashboard")).status_code == 200
    assert not Authenticator.objects.filter(user=pi).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "account_reauthenticate", "healthz"]
)
def test_sec_02_the_pages_needed_to_set_up_stay_open(client_for, newcomer, name):
    response = client_for(newcomer).get(reverse(name))
    # Open: the page itself, or allauth asking for the password again before a change to sign-in.
    assert response.status_code == 200 or response.url.startswith(reverse("account_reauthenticate"))


@pytest.mark.django_db
def test_sec_02_signing_out_and_switching_language_stay_open(client_for, newcomer):
    client = client_for(newcomer)
    assert client.post(reverse("set_language"), {"language": "ja", "next": "/"}).url == "/"
    client.post(reverse("account_logout"))
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_sec_02_an_htmx_request_is_sent_to_the_set_up_page_as_a_whole_page(client_for, newcomer):
    response = client_for(newcomer).get(reverse(QUEUE), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_sec_02_setting_up_the_app_opens_the_role_pages_and_is_audited(newcomer, django_capture_on_commit_callbacks):
    client, _ = password_step(newcomer)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    page = client.get(reverse("mfa_activate_totp"))
    secret = page.context["form"].secret
    assert secret in page.content.decode()
    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "Incorrect code" in wrong.content.decode()
    assert client.get(reverse(QUEUE)).url == reverse("mfa_activate_totp")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.url == reverse("mfa_view_recovery_codes")
    codes = client.get(response.url).content.decode()
    assert len(re.findall(r"\b[0-9a-f]{8}\b", codes)) >= 10
    assert client.get(reverse(QUEUE)).status_code == 200
    events = AuditEvent.objects.filter(action="account.mfa_added", target_id=str(newcomer.pk))
    assert sorted(events.values_list("data__type", flat=True)) == ["recovery_codes", "totp"]
    assert events.first().actor_id == newcomer.pk


@pytest.mark.django_db
def test_sec_02_with_the_app_set_up_signing_in_asks_for_a_code_and_then_opens_the_role_pages(secretariat):
    client, response = password_step(secretariat)
    assert response.url == reverse("mfa_authenticate")
    # Between password and code the user is not signed in: no role page yet.
    assert not is_signed_in(client)
    assert client.get(reverse(QUEUE)).status_code == 302
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(TOTP_SECRET)})
    assert response.url == reverse("portal:home")
    assert client.get(reverse(QUEUE)).status_code == 200


@pytest.mark.django_db
def test_sec_02_a_wrong_code_does_not_sign_in(secretariat):
    right = totp_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    client, response = sign_in_with_code(secretariat, wrong)
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert not is_signed_in(client)
    assert client.get(reverse(QUEUE)).status_code == 302


@pytest.mark.django_db
def test_sec_02_a_code_is_accepted_once(secretariat):
    code = totp_code()
    first, _ = sign_in_with_code(secretariat, code)
    assert is_signed_in(first)
    again, response = sign_in_with_code(secretariat, code)
    assert not is_signed_in(again)
    assert "Incorrect code" in response.content.decode()


@pytest.mark.django_db
def test_sec_02_a_recovery_code_signs_in_once(secretariat):
    recovery = RecoveryCodes.activate(secretariat)
    code = recovery.get_unused_codes()[0]
    client, response = sign_in_with_code(secretariat, code)
    assert response.url == reverse("portal:home")
    assert is_signed_in(client)
    again, response = sign_in_with_code(secretariat, code)
    assert not is_signed_in(again)
    assert "Incorrect code" in response.content.decode()


@pytest.mark.django_db
def test_sec_02_guessing_codes_is_rate_limited(secretariat):
    client, response = password_step(secretariat)
    wrong = f"{(int(totp_code()) + 1) % 1_000_000:06d}"
    for _ in range(5):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code()})
    assert "Too many failed login attempts" in response.content.decode()
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_sec_02_removing_the_app_is_audited_and_holds_the_user_back_again(secretariat):
    client, _ = sign_in_with_code(secretariat)
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.url == reverse("mfa_index")
    assert AuditEvent.objects.filter(action="account.mfa_removed", target_id=str(secretariat.pk)).exists()
    assert client.get(reverse(QUEUE)).url == reverse("mfa_activate_totp")


@pytest.mark.django_db
def test_sec_02_the_sign_in_pages_are_in_the_app_s_layout(secretariat):
    client, _ = password_step(secretariat)
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert "Two-factor authentication" in page
    assert 'class="form-control' in page
    assert 'autocomplete="one-time-code"' in page
    assert PASSWORD not in page


@pytest.mark.django_db
def test_sec_02_the_sign_in_pages_are_translated(secretariat):
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.post(reverse("account_login"), {"login": secretariat.email, "password": PASSWORD})
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert '<html lang="ja">' in page


@pytest.mark.django_db
def test_sec_02_the_admin_s_own_password_only_form_is_not_a_way_around_the_second_factor():
    staff = UserFactory(is_staff=True, is_superuser=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not is_signed_in(client)


@pytest.mark.django_db
def test_sec_02_the_security_key_button_is_wired_without_inline_script(secretariat):
    client, _ = password_step(secretariat)
    page = client.get(reverse("mfa_authenticate")).content.decode()
    assert (
        '<script data-allauth-onload="allauth.webauthn.forms.authenticateForm" type="application/json">'
        '{"ids": {"authenticate": "mfa_webauthn_authenticate", "credential": "id_credential", "data": "js_data"}}'
        "</script>"
    ) in page
    assert 'id="js_data" type="application/json"' in page


@pytest.mark.django_db
def test_sec_02_the_check_costs_no_query_once_known_and_a_new_seat_is_seen_at_once(client_for, pi):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(pi)
    client.get(reverse("protocols:dashboard"))
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("protocols:dashboard"))
    assert not [q for q in captured.captured_queries if "committees_committeemembership" in q["sql"]]
    committee, _ = make_committee([("natural_science", False, "male")])
    CommitteeMembership.objects.create(committee=committee, user=pi, category="general_public")
    assert client.get(reverse("protocols:dashboard")).url == reverse("mfa_activate_totp")
