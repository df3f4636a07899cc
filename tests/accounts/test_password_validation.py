"""SEC-03: passwords of at least 8 characters of several kinds."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

from research_governance.accounts.password_validation import CharacterClassesValidator, character_classes
from research_governance.demo.management.commands.seed_demo import DEMO_PASSWORD
from tests.factories import PASSWORD


def test_sec_03_the_four_kinds_of_character():
    assert character_classes("abc") == {"lower"}
    assert character_classes("ABC") == {"upper"}
    assert character_classes("123") == {"digit"}
    assert character_classes("-! 研究") == {"other"}
    assert character_classes("aB3-") == {"lower", "upper", "digit", "other"}


@pytest.mark.parametrize("password", ["lowercaseonly-", "ALLUPPER123", "abcdefgh1234", "研究データabc"])
def test_sec_03_a_password_of_fewer_than_three_kinds_is_refused(password):
    with pytest.raises(ValidationError) as refused:
        CharacterClassesValidator(min_classes=3).validate(password)
    assert refused.value.error_list[0].code == "password_too_few_character_kinds"


@pytest.mark.parametrize("password", ["Lower-and-UPPER", "lower-2026!", "Upper2026x", "研究Data2026"])
def test_sec_03_a_password_of_three_kinds_or_more_passes(password):
    CharacterClassesValidator(min_classes=3).validate(password)


@pytest.mark.django_db
def test_sec_03_the_demo_password_satisfies_the_institution_s_rules():
    validate_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_sec_03_short_or_single_kind_passwords_are_refused_by_the_configured_validators():
    for password in ["aB3-x", "onlylowercaseletters", PASSWORD]:
        with pytest.raises(ValidationError):
            validate_password(password)


@pytest.mark.django_db
def test_sec_03_changing_one_s_password_applies_the_rules(client_for, pi):
    from tests.factories import PASSWORD as OLD

    client = client_for(pi)
    payload = {"oldpassword": OLD, "password1": "onlylowercaseletters", "password2": "onlylowercaseletters"}
    page = client.post(reverse("account_change_password"), payload)
    assert page.status_code == 200
    assert "at least 3 of these kinds of character" in page.content.decode()
    strong = "New-passw0rd-2026"
    response = client.post(
        reverse("account_change_password"), {"oldpassword": OLD, "password1": strong, "password2": strong}
    )
    assert response.status_code == 302
    pi.refresh_from_db()
    assert pi.check_password(strong)
