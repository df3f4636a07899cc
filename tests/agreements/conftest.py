import pytest
from django.utils import translation

from tests.reviews import conftest as review_fixtures

from .support import make_dac, make_dataset

# The ethics side's fixtures: an active approval of pi's protocol, permitted by the head.
head = review_fixtures.head
chair = review_fixtures.chair
members = review_fixtures.members
approval = review_fixtures.approval


@pytest.fixture(autouse=True)
def _in_english():
    with translation.override("en"):
        yield


@pytest.fixture
def dac(db):
    """(committee, chair, secretary, [members])"""
    return make_dac()


@pytest.fixture
def dataset(approval):
    return make_dataset(approval)
