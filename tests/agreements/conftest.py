import pytest
from django.utils import translation

from tests.reviews.conftest import approval, chair, head, members  # noqa: F401 - shared fixtures

from .support import make_dac, make_dataset


@pytest.fixture(autouse=True)
def _in_english():  # type: ignore[no-untyped-def]
    with translation.override("en"):
        yield


@pytest.fixture
def dac(db):  # type: ignore[no-untyped-def]
    """(committee, chair, secretary, [members])"""
    return make_dac()


@pytest.fixture
def dataset(approval):  # type: ignore[no-untyped-def]
    return make_dataset(approval)
