"""The committee page shows whether the roster is valid, and which rule fails (JP-ERC-01..05)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from research_governance.audit.models import AuditEvent
from research_governance.committees.models import CommitteeMembership
from tests.committees.support import VALID_ROSTER, make_committee
from tests.factories import UserFactory


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


# --- managing the roster in the browser -----------------------------------------------------

TODAY = timezone.localdate


def verdict_of(page):
    return page.split('id="roster-verdict"', 1)[1].split("</section>", 1)[0]


def add_data(email, **overrides):
    data = {
        "add-email": email,
        "add-role": "member",
        "add-category": "general_public",
        "add-sex": "female",
        "add-is_external": "on",
        "add-valid_from": TODAY().isoformat(),
        "add-valid_to": "",
    }
    data.update({f"add-{name}": value for name, value in overrides.items()})
    return {name: value for name, value in data.items() if value is not None}


def edit_data(membership, **overrides):
    data = {
        "edit-role": membership.role,
        "edit-category": membership.category,
        "edit-sex": membership.sex,
        "edit-valid_from": membership.valid_from.isoformat(),
        "edit-valid_to": membership.valid_to.isoformat() if membership.valid_to else "",
    }
    if membership.is_external:
        data["edit-is_external"] = "on"
    data.update({f"edit-{name}": value for name, value in overrides.items()})
    return {name: value for name, value in data.items() if value is not None}


def end_data(membership, day):
    return {f"end-{membership.pk}-valid_to": day.isoformat()}


def write_requests(committee, member):
    """Every write the page offers: (method, url, data)."""
    return [
        ("post", reverse("committees:member_add", args=[committee.pk]), add_data("someone@test.example")),
        ("get", reverse("committees:member_edit", args=[committee.pk, member.pk]), None),
        ("post", reverse("committees:member_edit", args=[committee.pk, member.pk]), edit_data(member, role="chair")),
        ("post", reverse("committees:member_end", args=[committee.pk, member.pk]), end_data(member, TODAY())),
        ("post", reverse("committees:settings", args=[committee.pk]), {"settings-decision_rule": "majority"}),
    ]


def nothing_changed(committee, member):
    member.refresh_from_db()
    committee.refresh_from_db()
    return (
        member.role == "member"
        and member.valid_to is None
        and committee.decision_rule == "consensus"
        and not AuditEvent.objects.exists()
    )


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["secretariat", "administrator"])
def test_the_secretariat_and_administrators_see_the_forms(client_for, persona, request):
    committee, members = make_committee(VALID_ROSTER)
    page = client_for(request.getfixturevalue(persona)).get(detail_url(committee)).content.decode()
    assert 'id="add-member"' in page
    assert 'id="committee-settings"' in page
    assert reverse("committees:member_edit", args=[committee.pk, members[0].pk]) in page
    assert reverse("committees:member_end", args=[committee.pk, members[0].pk]) in page
    # The end-of-term date defaults to today.
    assert f'name="end-{members[0].pk}-valid_to" value="{TODAY().isoformat()}"' in page
    assert "JP-ERC-09 (UNVERIFIED)" in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["member", "auditor"])
def test_members_and_auditors_see_the_page_read_only(client_for, persona, request):
    committee, members = make_committee(VALID_ROSTER)
    user = members[0].user if persona == "member" else request.getfixturevalue(persona)
    page = client_for(user).get(detail_url(committee)).content.decode()
    assert "The roster meets the composition rules." in page
    assert "<form" not in page.split('id="main"', 1)[1]
    assert "/members/" not in page
    assert members[1].user.email not in page


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["member", "auditor"])
def test_members_and_auditors_get_403_on_every_write(client_for, persona, request):
    committee, members = make_committee(VALID_ROSTER)
    user = members[0].user if persona == "member" else request.getfixturevalue(persona)
    client = client_for(user)
    for method, url, data in write_requests(committee, members[1]):
        assert getattr(client, method)(url, data).status_code == 403, url
    assert nothing_changed(committee, members[1])


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pi", "reviewer"])
def test_people_off_the_committee_get_404_on_every_write(client_for, persona, request):
    committee, members = make_committee(VALID_ROSTER)
    client = client_for(request.getfixturevalue(persona))
    for method, url, data in write_requests(committee, members[1]):
        assert getattr(client, method)(url, data).status_code == 404, url
    assert nothing_changed(committee, members[1])


@pytest.mark.django_db
def test_anonymous_writes_are_sent_to_sign_in(client_for):
    committee, members = make_committee(VALID_ROSTER)
    client = client_for(None)
    for method, url, data in write_requests(committee, members[1]):
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url
    assert nothing_changed(committee, members[1])


@pytest.mark.django_db
def test_a_seat_of_another_committee_is_404(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    _other, other_members = make_committee(VALID_ROSTER[:1], code="dac")
    client = client_for(secretariat)
    url = reverse("committees:member_edit", args=[committee.pk, other_members[0].pk])
    assert client.get(url).status_code == 404
    url = reverse("committees:member_end", args=[committee.pk, other_members[0].pk])
    assert client.post(url, end_data(other_members[0], TODAY())).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["secretariat", "administrator"])
def test_adding_the_fifth_member_makes_the_roster_valid(client_for, persona, request):
    committee, _ = make_committee(VALID_ROSTER[:4])
    client = client_for(request.getfixturevalue(persona))
    assert "JP-ERC-05" in verdict_of(client.get(detail_url(committee)).content.decode())
    newcomer = UserFactory(email="newcomer@test.example", name_latin="Nina Newcomer")
    response = client.post(
        reverse("committees:member_add", args=[committee.pk]), add_data("Newcomer@Test.example", is_external=None)
    )
    assert response.status_code == 302
    assert response.url == detail_url(committee)
    seat = CommitteeMembership.objects.get(committee=committee, user=newcomer)
    assert (seat.category, seat.sex, seat.is_external) == ("general_public", "female", False)
    page = client.get(response.url).content.decode()
    assert "Nina Newcomer was added to the committee as Member." in page
    assert "The roster meets the composition rules." in verdict_of(page)
    assert AuditEvent.objects.filter(action="committee.member_added", target_id=str(seat.pk)).exists()


@pytest.mark.django_db
def test_an_unknown_email_address_keeps_what_was_typed(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    response = client_for(secretariat).post(
        reverse("committees:member_add", args=[committee.pk]),
        add_data("nobody@test.example", category="humanities_social", valid_to="2030-03-31"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "No active account has this email address." in page
    assert 'value="nobody@test.example"' in page
    assert 'value="humanities_social" selected' in page
    assert 'value="2030-03-31"' in page
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_second_chair_is_refused_with_the_form_as_typed(client_for, secretariat):
    committee, members = make_committee(VALID_ROSTER)
    client = client_for(secretariat)
    url = reverse("committees:member_edit", args=[committee.pk, members[0].pk])
    assert client.post(url, edit_data(members[0], role="chair")).status_code == 302
    candidate = UserFactory(email="second@test.example")
    response = client.post(
        reverse("committees:member_add", args=[committee.pk]),
        add_data(candidate.email, role="chair", category="natural_science"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "A committee has one chair at a time" in page
    assert members[0].user.display_name in page
    assert 'value="second@test.example"' in page
    assert 'value="chair" selected' in page
    assert not CommitteeMembership.objects.filter(user=candidate).exists()


@pytest.mark.django_db
def test_a_duplicate_current_seat_is_refused(client_for, secretariat):
    committee, members = make_committee(VALID_ROSTER)
    response = client_for(secretariat).post(
        reverse("committees:member_add", args=[committee.pk]), add_data(members[0].user.email)
    )
    assert response.status_code == 200
    assert "already holds a seat on this committee" in response.content.decode()
    assert CommitteeMembership.objects.filter(committee=committee, user=members[0].user).count() == 1


@pytest.mark.django_db
def test_a_member_seat_without_category_and_sex_is_refused(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    user = UserFactory()
    response = client_for(secretariat).post(
        reverse("committees:member_add", args=[committee.pk]), add_data(user.email, category="", sex="")
    )
    page = response.content.decode()
    assert "needs a category (JP-ERC-01)" in page
    assert "needs a sex (JP-ERC-04)" in page
    assert 'id="id_add-category_error"' in page
    assert not CommitteeMembership.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_ending_an_external_members_term_shows_jp_erc_03(client_for, secretariat):
    committee, members = make_committee(VALID_ROSTER)
    external = members[2]
    client = client_for(secretariat)
    yesterday = TODAY() - timedelta(days=1)
    response = client.post(
        reverse("committees:member_end", args=[committee.pk, external.pk]), end_data(external, yesterday)
    )
    assert response.status_code == 302
    page = client.get(detail_url(committee)).content.decode()
    verdict = verdict_of(page)
    assert "does not meet the composition rules" in verdict
    assert "JP-ERC-03" in verdict
    # The seat is kept and listed among former members.
    external.refresh_from_db()
    assert external.valid_to == yesterday
    former = page.split('id="former-members"', 1)[1].split("</details>", 1)[0]
    assert external.user.display_name in former
    assert yesterday.isoformat() in former
    assert reverse("committees:member_end", args=[committee.pk, external.pk]) not in former
    assert reverse("committees:member_edit", args=[committee.pk, external.pk]) in former
    event = AuditEvent.objects.get(action="committee.member_term_ended")
    assert event.data["new"] == {"valid_to": yesterday.isoformat()}


@pytest.mark.django_db
def test_an_end_date_before_the_start_is_shown_on_the_row(client_for, secretariat):
    committee, members = make_committee(VALID_ROSTER)
    before = members[0].valid_from - timedelta(days=1)
    response = client_for(secretariat).post(
        reverse("committees:member_end", args=[committee.pk, members[0].pk]), end_data(members[0], before)
    )
    assert response.status_code == 200
    page = response.content.decode()
    row = page.split(f'id="seat-{members[0].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "The term cannot end before it starts" in row
    assert f'value="{before.isoformat()}"' in row
    members[0].refresh_from_db()
    assert members[0].valid_to is None


@pytest.mark.django_db
def test_the_edit_page_saves_a_seat_and_keeps_the_form_on_errors(client_for, secretariat):
    committee, members = make_committee(VALID_ROSTER)
    seat = members[0]
    client = client_for(secretariat)
    url = reverse("committees:member_edit", args=[committee.pk, seat.pk])
    page = client.get(url).content.decode()
    assert f'value="{seat.valid_from.isoformat()}"' in page
    assert 'value="natural_science" selected' in page

    response = client.post(url, edit_data(seat, valid_to="2000-01-01", sex="female"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The term cannot end before it starts." in page
    assert 'value="2000-01-01"' in page
    assert 'value="female" selected' in page

    response = client.post(url, edit_data(seat, role="vice_chair", is_external="on"))
    assert response.status_code == 302
    seat.refresh_from_db()
    assert (seat.role, seat.is_external) == ("vice_chair", True)
    event = AuditEvent.objects.get(action="committee.member_updated")
    assert event.data["old"] == {"role": "member", "is_external": False}
    assert event.data["new"] == {"role": "vice_chair", "is_external": True}


@pytest.mark.django_db
def test_the_decision_rule_is_set_on_the_page(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    client = client_for(secretariat)
    page = client.get(detail_url(committee)).content.decode()
    # The secretariat cannot change the rule set.
    assert 'name="settings-rule_set"' not in page
    response = client.post(
        reverse("committees:settings", args=[committee.pk]),
        {"settings-decision_rule": "two_thirds", "settings-rule_set": "US"},
    )
    assert response.status_code == 302
    committee.refresh_from_db()
    assert (committee.decision_rule, committee.rule_set) == ("two_thirds", "JP")
    page = client.get(detail_url(committee)).content.decode()
    assert "Decision rule: Two-thirds majority" in page
    event = AuditEvent.objects.get(action="committee.settings_changed")
    assert event.data["old"] == {"decision_rule": "consensus"}


@pytest.mark.django_db
def test_an_administrator_changes_the_rule_set(client_for, administrator):
    committee, _ = make_committee(VALID_ROSTER)
    client = client_for(administrator)
    assert 'name="settings-rule_set"' in client.get(detail_url(committee)).content.decode()
    response = client.post(
        reverse("committees:settings", args=[committee.pk]),
        {"settings-decision_rule": "majority", "settings-rule_set": "US"},
    )
    assert response.status_code == 302
    committee.refresh_from_db()
    assert (committee.decision_rule, committee.rule_set) == ("majority", "US")
    assert "US-IRB-01" in verdict_of(client.get(detail_url(committee)).content.decode())


@pytest.mark.django_db
def test_an_invalid_decision_rule_keeps_the_form(client_for, secretariat):
    committee, _ = make_committee(VALID_ROSTER)
    response = client_for(secretariat).post(
        reverse("committees:settings", args=[committee.pk]), {"settings-decision_rule": "unanimity"}
    )
    assert response.status_code == 200
    assert "The settings were not saved." in response.content.decode()
    committee.refresh_from_db()
    assert committee.decision_rule == "consensus"


@pytest.mark.django_db
def test_the_page_query_count_does_not_grow_with_former_and_upcoming_seats(client_for, secretariat):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    committee, _ = make_committee(VALID_ROSTER)
    client = client_for(secretariat)
    with CaptureQueriesContext(connection) as before:
        client.get(detail_url(committee))
    for category, external, sex in VALID_ROSTER:
        CommitteeMembership.objects.create(
            committee=committee,
            user=UserFactory(),
            category=category,
            is_external=external,
            sex=sex,
            valid_from=TODAY() - timedelta(days=400),
            valid_to=TODAY() - timedelta(days=30),
        )
        CommitteeMembership.objects.create(
            committee=committee,
            user=UserFactory(),
            category=category,
            is_external=external,
            sex=sex,
            valid_from=TODAY() + timedelta(days=30),
        )
    CommitteeMembership.objects.create(committee=committee, user=UserFactory(), role="secretariat")
    with CaptureQueriesContext(connection) as after:
        page = client.get(detail_url(committee)).content.decode()
    assert len(after) == len(before)
    assert "Former members" in page
    assert "Upcoming members" in page
