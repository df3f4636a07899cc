import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _in_english():  # type: ignore[no-untyped-def]
    """Service messages are read in English here, whatever an earlier test left activated."""
    with translation.override("en"):
        yield
