import pytest

from research_governance import celery_app


def _forget_broker_connections() -> None:
    # The app keeps its broker connections and producers in pools keyed by the broker's URL,
    # created on first use; forget them, so the next task goes to the broker configured now.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def tasks_go_to():  # type: ignore[no-untyped-def]
    """tasks_go_to(url): from now on this test's tasks are sent to the broker at url, not run inline."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def point_at(url: str) -> None:
        celery_app.conf.broker_url = url
        celery_app.conf.task_always_eager = False
        _forget_broker_connections()

    yield point_at
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    _forget_broker_connections()
