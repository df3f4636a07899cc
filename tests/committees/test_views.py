"""The committee page shows whether the roster is valid, and which rule fails (JP-ERC-01..05)."""

import pytest
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.committees.models import Committee, CommitteeMembership
from tests.factories import InstitutionFactory, UserFactory

Category = CommitteeMembership.Category

VALID_ROSTER = [
    (Category.NATURAL_SCIENCE, False, "male"),
    (Category.NATURAL_SCIENCE, False, "female"),
    (Category.HUMANITIES_SOCIAL, True, "female"),
    (Category.GENERAL_PUBLIC, True, "male"),
    (Category.HUMANITIES_SOCIAL, False, "female"),
]


def make_committee(roster):
    committee = Committee.objects.create(
        institution=InstitutionFactory(),
        code="erc",
        name_ja="倫理審査委員会",
        name_en="Ethics Committee",
        kind="ethics",
    )
    members = []
    for category, external, sex in roster:
        user = UserFactory(roles=[Role.COMMITTEE_MEMBER])
        members.append(
            CommitteeMembership.objects.create(
                committee=committee, user=user, category=category, is_external=external, sex=sex
            )
        )
    return committee, members


def detail_url(committee):
    return reverse("committees:detail", args=[committee.pk])


@pytest.mark.django_db
def test_the_secretariat_sees_a_valid_roster_jp_erc_01_to_05(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    page = client_for(secretariat).get(detail_url(committee)).content.decode()
    assert "The roster meets the composition rules." in page
    assert "JP-ERC-05" in page


@pytest.mark.django_db
def test_a_roster_of_four_with_one_external_member_names_the_failing_rules(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER[:2] + VALID_ROSTER[3:4] + VALID_ROSTER[4:])
    page = client_for(secretariat).get(detail_url(committee)).content.decode()
    verdict = page.split('id="roster-verdict"', 1)[1].split("</section>", 1)[0]
    assert "does not meet the composition rules" in verdict
    assert "JP-ERC-03" in verdict
    assert "JP-ERC-05" in verdict
    assert "JP-ERC-01" in verdict


@pytest.mark.django_db
def test_a_member_sees_their_own_committee(client_for):
    committee, members = make_committee(VALID_ROSTER)
    client = client_for(members[0].user)
    assert client.get(detail_url(committee)).status_code == 200
    assert committee.name_en in client.get(reverse("committees:list")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "other_investigator", "reviewer"])
def test_people_off_the_committee_get_404(client_for, persona, request):
    committee, _ = make_committee(VALID_ROSTER)
    client = client_for(request.getfixturevalue(persona))
    assert client.get(detail_url(committee)).status_code == 404
    assert committee.name_en not in client.get(reverse("committees:list")).content.decode()


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_sign_in(client_for):
    committee, _ = make_committee(VALID_ROSTER)
    assert client_for(None).get(detail_url(committee)).url.startswith("/accounts/login/")


@pytest.mark.django_db
def test_the_committee_page_query_count_does_not_grow_with_members(client_for, secretariat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    committee, _ = make_committee(VALID_ROSTER)
    client = client_for(secretariat)
    with CaptureQueriesContext(connection) as five:
        client.get(detail_url(committee))
    for category, external, sex in VALID_ROSTER:
        CommitteeMembership.objects.create(
            committee=committee, user=UserFactory(), category=category, is_external=external, sex=sex
        )
    with CaptureQueriesContext(connection) as ten:
        client.get(detail_url(committee))
    assert len(ten) == len(five)
