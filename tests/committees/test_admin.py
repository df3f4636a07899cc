"""The Django admin shows seats but does not change them: changes go through the services."""

import pytest
from django.urls import reverse

from research_governance.committees.models import CommitteeMembership
from tests.committees.support import VALID_ROSTER, make_committee
from tests.factories import UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.django_db
def test_the_admin_lists_seats_read_only(client_for, superuser):
    committee, members = make_committee(VALID_ROSTER)
    client = client_for(superuser)
    page = client.get(reverse("admin:committees_committee_change", args=[committee.pk])).content.decode()
    assert members[0].user.display_name in page
    assert 'name="memberships-0-role"' not in page
    assert 'name="rule_set"' not in page
    assert 'name="decision_rule"' not in page
    assert 'name="memberships-0-DELETE"' not in page


@pytest.mark.django_db
def test_the_admin_cannot_delete_a_committee(client_for, superuser):
    committee, _ = make_committee(VALID_ROSTER)
    response = client_for(superuser).post(
        reverse("admin:committees_committee_delete", args=[committee.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert CommitteeMembership.objects.filter(committee=committee).count() == len(VALID_ROSTER)


@pytest.mark.django_db
def test_the_admin_sets_the_rule_set_when_creating_a_committee(client_for, superuser):
    page = client_for(superuser).get(reverse("admin:committees_committee_add")).content.decode()
    assert 'name="rule_set"' in page
