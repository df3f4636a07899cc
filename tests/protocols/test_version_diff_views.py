"""The protocol page links each submitted version to the changes since the one before; the
changes page has the version page's readers and reads both versions in one query."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.accounts.models import Role
from research_governance.reviews import services
from tests.factories import UserFactory, make_complete
from tests.reviews.decisions_support import make_committee, seat
from tests.reviews.rounds_support import build_rounds


@pytest.fixture
def committee(db):
    return make_committee("JP")


@pytest.fixture
def rounds(pi, secretariat, committee):
    return build_rounds(pi, secretariat, committee)


def diff_url(protocol, old: int, new: int) -> str:
    return reverse("protocols:version_diff", args=[protocol.pk, old, new])


@pytest.mark.django_db
def test_the_protocol_page_links_each_version_to_the_changes_since_the_one_before(client_for, rounds, pi):
    protocol = rounds["second"].protocol
    page = client_for(pi).get(reverse("protocols:detail", args=[protocol.pk])).content.decode()
    assert diff_url(protocol, 1, 2) in page
    assert "Changes since version 1" in page
    assert diff_url(protocol, 0, 1) not in page
    changes = client_for(pi).get(diff_url(protocol, 1, 2)).content.decode()
    assert "Changes from version 1 to version 2" in changes
    assert "<ins>, now with older adults</ins>" in changes
    assert "consent-v2.pdf (v2)" in changes


@pytest.mark.django_db
def test_the_changes_page_has_the_version_page_s_readers(client_for, rounds, pi, secretariat, committee):
    protocol = rounds["second"].protocol
    chair = UserFactory(roles=[Role.CHAIR])
    for reader in (pi, secretariat, chair):
        assert client_for(reader).get(diff_url(protocol, 1, 2)).status_code == 200
    for outsider in (rounds["first_reviewer"], seat(committee), UserFactory(roles=[Role.INVESTIGATOR])):
        assert client_for(outsider).get(diff_url(protocol, 1, 2)).status_code == 404


@pytest.mark.django_db
def test_a_version_that_does_not_exist_or_belongs_to_another_study_is_not_found(client_for, rounds, pi):
    protocol = rounds["second"].protocol
    client = client_for(pi)
    assert client.get(diff_url(protocol, 1, 3)).status_code == 404
    theirs = services.protocol_submit(protocol=make_complete(pi, title_en="Mine too"), by=pi).protocol
    # Version 1 exists in both; each study's pages compare only its own versions.
    assert client.get(diff_url(theirs, 1, 2)).status_code == 404


@pytest.mark.django_db
def test_the_changes_page_reads_both_versions_in_one_query(client_for, rounds, pi):
    protocol = rounds["second"].protocol
    client = client_for(pi)
    client.get(diff_url(protocol, 1, 2))
    with CaptureQueriesContext(connection) as captured:
        client.get(diff_url(protocol, 1, 2))
    versions = [q for q in captured.captured_queries if 'FROM "protocols_protocolversion"' in q["sql"]]
    assert len(versions) == 1
    assert len(captured) <= 6  # with the menu's one check that its waiting count is current
