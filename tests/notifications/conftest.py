import pytest
from kombu import pools

from research_governance import celery_app


def _forget_broker_connections() -> None:
    # The app keeps its broker connections and producers in kombu's pools, created on first use
    # and remembered by the app; close and forget them all, so the next task (or, inline, the
    # producer an eager task still acquires) uses the broker configured now.
    pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def tasks_go_to():
    """tasks_go_to(url): from now on this test's tasks are sent to the broker at url, not run inline."""
    saved = celery_app.conf.broker_url, celery_app.conf.task_always_eager

    def point_at(url: str) -> None:
        celery_app.conf.broker_url = url
        celery_app.conf.task_always_eager = False
        _forget_broker_connections()

    yield point_at
    celery_app.conf.broker_url, celery_app.conf.task_always_eager = saved
    _forget_broker_connections()
