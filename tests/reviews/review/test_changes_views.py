"""What changed between rounds, read by the reviewer of a later round from their workspace
(tests/reviews/rounds_support.py builds the rounds)."""

import pytest
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.reviews import services
from tests.factories import UserFactory

from ..decisions_support import DUE, make_committee, seat
from ..rounds_support import build_rounds


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def rounds(pi, secretariat, committee):
    return build_rounds(pi, secretariat, committee)


def assign_declared(submission, secretariat, reviewer):
    assignment = services.reviewer_assign(submission=submission, by=secretariat, reviewer=reviewer, due_date=DUE)
    services.conflict_declare(submission=submission, member=reviewer, has_conflict=False, reason="")
    return assignment


def changes_url(assignment, round_number: int) -> str:
    return reverse("reviews:changes", args=[assignment.pk, round_number])


@pytest.mark.django_db
def test_a_returning_reviewer_reads_the_changes_since_the_version_they_reviewed(client_for, rounds, secretariat):
    assignment = assign_declared(rounds["second"], secretariat, rounds["first_reviewer"])
    client = client_for(rounds["first_reviewer"])
    page = client.get(reverse("reviews:workspace", args=[assignment.pk])).content.decode()
    assert "This is round 2 of the application." in page
    assert "Changes since the version you reviewed (round 1, version 1)" in page
    assert changes_url(assignment, 1) in page
    changes = client.get(changes_url(assignment, 1)).content.decode()
    assert "Changes since round 1: version 1 to version 2" in changes
    assert "What we study and why<ins>, now with older adults</ins>." in changes
    assert "Replaced" in changes
    assert "consent.pdf (v1)" in changes
    assert "consent-v2.pdf (v2)" in changes


@pytest.mark.django_db
def test_a_new_reviewer_of_a_later_round_reads_the_changes_since_the_previous_round(
    client_for, rounds, secretariat, committee
):
    newcomer = seat(committee)
    assignment = assign_declared(rounds["second"], secretariat, newcomer)
    page = client_for(newcomer).get(reverse("reviews:workspace", args=[assignment.pk])).content.decode()
    assert "Changes since round 1 (version 1)" in page
    assert "the version you reviewed" not in page
    assert client_for(newcomer).get(changes_url(assignment, 1)).status_code == 200


@pytest.mark.django_db
def test_a_first_round_has_no_changes_to_show(client_for, rounds, secretariat, committee):
    first_assignment = rounds["first"].assignments.get()
    client = client_for(rounds["first_reviewer"])
    page = client.get(reverse("reviews:workspace", args=[first_assignment.pk])).content.decode()
    assert "Changes since" not in page
    assert client.get(changes_url(first_assignment, 1)).status_code == 404


@pytest.mark.django_db
def test_only_rounds_of_the_same_application_can_be_compared(client_for, rounds, secretariat, committee, pi):
    assignment = assign_declared(rounds["second"], secretariat, rounds["first_reviewer"])
    client = client_for(rounds["first_reviewer"])
    for round_number in (2, 3, 99):
        assert client.get(changes_url(assignment, round_number)).status_code == 404


@pytest.mark.django_db
def test_nobody_but_the_assigned_reviewer_reads_the_changes_page(client_for, rounds, secretariat, committee, pi):
    assignment = assign_declared(rounds["second"], secretariat, rounds["first_reviewer"])
    conflicted = seat(committee)
    services.conflict_declare(submission=rounds["second"], member=conflicted, has_conflict=True, reason="Consulting.")
    outsiders = (pi, secretariat, seat(committee), conflicted, UserFactory(roles=[Role.INVESTIGATOR]))
    for person in outsiders:
        assert client_for(person).get(changes_url(assignment, 1)).status_code == 404
    assert client_for(None).get(changes_url(assignment, 1)).status_code == 302


@pytest.mark.django_db
def test_a_reviewer_who_has_not_declared_yet_sees_no_changes(client_for, rounds, secretariat, committee):
    newcomer = seat(committee)
    assignment = services.reviewer_assign(submission=rounds["second"], by=secretariat, reviewer=newcomer, due_date=DUE)
    assert client_for(newcomer).get(changes_url(assignment, 1)).status_code == 404
