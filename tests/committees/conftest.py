from collections.abc import Iterator

import pytest
from django.utils import translation

from research_governance.accounts.models import Role, User
from tests.factories import UserFactory


@pytest.fixture
def administrator(db) -> User:
    return UserFactory(email="admin@test.example", roles=[Role.ADMINISTRATOR])


@pytest.fixture
def auditor(db) -> User:
    return UserFactory(email="auditor@test.example", roles=[Role.AUDITOR])


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Services raise translated messages and the tests match the English msgids; the default
    language is Japanese, so a compiled ja catalogue would otherwise change what they see."""
    with translation.override("en"):
        yield
