import pytest
from django.utils import translation

from research_governance.accounts.models import Role
from tests.committees.support import make_committee
from tests.factories import UserFactory
from tests.reviews.meeting.support import SIX

from .post_approval_support import approve


@pytest.fixture(autouse=True)
def _in_english():
    """Service messages are read in English here, whatever an earlier test left activated."""
    with translation.override("en"):
        yield


@pytest.fixture
def head(db):
    return UserFactory(email="head@reviews.example", roles=[Role.HEAD])


@pytest.fixture
def chair(db):
    return UserFactory(email="chair@reviews.example", roles=[Role.CHAIR])


@pytest.fixture
def members(db):
    """A valid six-member ethics committee at the test institution (its seats)."""
    _committee, seats = make_committee(SIX)
    return seats


@pytest.fixture
def approval(pi, secretariat, members, head):
    """An active approval of a protocol of ``pi``'s, permitted by the head (JP-ERC-13)."""
    return approve(pi, secretariat, members, head)
