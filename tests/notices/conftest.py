import pytest

from tests.agreements.refusal_support import approve_opt_out
from tests.reviews.conftest import approval, chair, head, members  # noqa: F401 - shared fixtures


@pytest.fixture
def notice(pi, secretariat, members, head):  # noqa: F811
    """The approval of an opt-out study with a foreign recipient: its notice is public."""
    return approve_opt_out(pi, secretariat, members, head, recipients=[("Boston Data Lab", "US"), ("Osaka Lab", "JP")])
