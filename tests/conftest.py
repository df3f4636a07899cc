"""Personas, after the demo users: the PI, a co-investigator on the team, another
investigator (not on the team), the secretariat, an unassigned reviewer, and a stranger."""

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations as PostgresOperations
from django.test import Client

from research_governance import celery_app
from research_governance.accounts.mfa import must_set_up_second_factor
from research_governance.accounts.models import Role, User
from research_governance.audit.maintenance import ENTER_MAINTENANCE_SQL
from research_governance.notifications.selectors import unread_count
from research_governance.portal.selectors import waiting_count

from .factories import UserFactory

_flush = PostgresOperations.execute_sql_flush


def _flush_in_audit_maintenance(self: PostgresOperations, sql_list: list[str]) -> None:
    """The flush between transactional tests (and live-server tests) TRUNCATEs every table,
    which the audit trail's trigger refuses; the flush's own transaction sets the maintenance
    setting first (docs/deploy.md). Only this transaction: tests still meet the trigger."""
    _flush(self, [ENTER_MAINTENANCE_SQL, *sql_list] if sql_list else sql_list)


PostgresOperations.execute_sql_flush = _flush_in_audit_maintenance


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Required outside DEBUG (`make test` sets it); the same fallback when pytest is run bare.
    settings.SITE_URL = settings.SITE_URL or "http://testserver"
    # Hashing strength is not under test here; PBKDF2 would dominate the suite's time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A fresh cache per test: sign-in rate limits must not carry over from one test to the next.
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": tmp_path.name}
    }


@pytest.fixture(autouse=True)
def _tasks_run_inline():
    """Tasks run inline, even with REDIS_URL set (`make test`), so a test sees their effect at once.
    tests/notifications/test_worker.py sends them to a real worker instead (``tasks_go_to``)."""
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = eager


# The modules whose tests run services: after each of their tests, everyone's inbox must hold
# exactly what the workflows find (tests/inbox_support.py).
INBOX_CHECKED = (
    *("services", "journey", "handoffs", "next_steps", "changes", "close", "concurrency", "prescreening"),
    *("reviewers", "test_engine", "site_permissions", "test_review.py", "signing", "grants", "chair_queue"),
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        name = item.path.name
        uses_db = item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
            getattr(item, "fixturenames", ())
        )
        if any(word in name for word in INBOX_CHECKED) and uses_db:
            item.add_marker(pytest.mark.usefixtures("inbox_agrees"))


@pytest.fixture
def inbox_agrees(request):
    """After the test, everyone's "Waiting for you" kept by the inbox equals what the workflows
    find: every service that changes who acts next keeps the inbox up to date."""
    # The database is set up first, so it is still there when the check runs.
    request.getfixturevalue("_django_db_helper")
    yield
    from tests.inbox_support import assert_inbox_agrees

    assert_inbox_agrees()


@pytest.fixture
def pi(db) -> User:
    return UserFactory(email="pi@test.example", name_latin="Pat Investigator")


@pytest.fixture
def coinvestigator(db) -> User:
    return UserFactory(email="co@test.example", name_latin="Cory Coinvestigator")


@pytest.fixture
def other_investigator(db) -> User:
    return UserFactory(email="other@test.example", name_latin="Olga Other")


@pytest.fixture
def secretariat(db) -> User:
    return UserFactory(email="secretariat@test.example", roles=[Role.SECRETARIAT])


@pytest.fixture
def reviewer(db) -> User:
    return UserFactory(email="reviewer@test.example", roles=[Role.COMMITTEE_MEMBER])


def signed_in(user: User | None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        # Every page shows the unread and the waiting counts, cached after the first page, and checks whether the
        # user must first set up a second factor (SEC-02), remembered for a minute; warm them, so
        # query counts compare pages, not the first page with the rest.
        unread_count(user)
        must_set_up_second_factor(user)
        waiting_count(user)
    return client


@pytest.fixture
def client_for():
    """client_for(user) is a test client signed in as that user (None: anonymous), in English."""
    return signed_in
