"""Meeting pages cost the same number of queries whatever the size of the roster."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from research_governance.committees.models import CommitteeMembership
from tests.factories import UserFactory
from tests.reviews.meeting.support import SIX, meeting_with_item


def count(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.mark.django_db
def test_meeting_item_and_minutes_pages_do_not_grow_with_the_roster(client_for, pi, secretariat):
    committee, members, meeting, item = meeting_with_item(pi, secretariat)
    client = client_for(secretariat)
    pages = [
        reverse("committees:meeting_detail", args=[committee.pk, meeting.pk]),
        reverse("committees:item", args=[committee.pk, meeting.pk, item.pk]),
        reverse("committees:minutes", args=[committee.pk, meeting.pk]),
    ]
    before = [count(client, url) for url in pages]
    since = members[0].valid_from
    for category, external, sex in SIX:
        CommitteeMembership.objects.create(
            committee=committee, user=UserFactory(), category=category, is_external=external, sex=sex, valid_from=since
        )
    assert [count(client, url) for url in pages] == before
