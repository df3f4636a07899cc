import pytest

from research_governance.accounts.models import Role, User
from tests.factories import UserFactory


@pytest.fixture
def administrator(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(email="admin@test.example", roles=[Role.ADMINISTRATOR])


@pytest.fixture
def auditor(db) -> User:  # type: ignore[no-untyped-def]
    return UserFactory(email="auditor@test.example", roles=[Role.AUDITOR])
