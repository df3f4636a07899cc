"""Administrators see the rulebook in force, with each rule's status and source."""

import pytest
from django.urls import reverse

from research_governance.accounts.models import Role
from tests.factories import UserFactory


@pytest.mark.django_db
def test_an_administrator_sees_every_rule_with_its_status(client_for):
    admin = UserFactory(roles=[Role.ADMINISTRATOR])
    page = client_for(admin).get(reverse("rulebook")).content.decode()
    for rule_id in ("JP-ERC-01", "JP-ERC-09", "JP-IC-04", "JP-IC-12", "US-IRB-04", "XB-02", "JP-R-06"):
        assert f'id="rule-{rule_id}"' in page
    jp_erc_09 = page.split('id="rule-JP-ERC-09"', 1)[1].split("</tr>", 1)[0]
    assert "unverified" in jp_erc_09
    jp_erc_10 = page.split('id="rule-JP-ERC-10"', 1)[1].split("</tr>", 1)[0]
    assert "partly unverified" in jp_erc_10
    jp_erc_05 = page.split('id="rule-JP-ERC-05"', 1)[1].split("</tr>", 1)[0]
    assert "verified" in jp_erc_05
    assert "unverified" not in jp_erc_05


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "reviewer"])
def test_the_rulebook_page_is_hidden_from_investigators_and_members(client_for, persona, request):
    assert client_for(request.getfixturevalue(persona)).get(reverse("rulebook")).status_code == 404


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    assert client_for(None).get(reverse("rulebook")).url.startswith("/accounts/login/")
