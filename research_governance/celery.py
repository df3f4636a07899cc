"""The Celery application. Configured from Django settings (CELERY_* names).

With no REDIS_URL the settings make every task run inline (``task_always_eager``),
so ``make run`` needs nothing else running.

Every task derives from ``Task`` below: queued after commit without ever turning a
committed change into an error page, and retried by the broker, not inside a request.
``Task.delay_on_commit`` is the one way a service queues a task: nothing else wraps
``transaction.on_commit`` around ``delay``.
"""

import logging
import os
from typing import Any

from celery import Celery
from celery.contrib.django.task import DjangoTask
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "research_governance.settings")

logger = logging.getLogger(__name__)


class Task(DjangoTask):
    def delay_on_commit(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]  # Celery's returns None too
        """Queue the task once the caller's transaction commits.

        Celery's own version lets a broker error escape from the commit, after the change is
        saved, and skips the other on-commit callbacks. Here the error is logged instead: what
        the task was to do must be recoverable from the database (a periodic task finds it).
        """
        task = self

        def queue_after_commit() -> None:
            try:
                task.delay(*args, **kwargs)
            except Exception:
                logger.exception("Could not queue %s%r; a periodic job picks the work up later.", task.name, args)

        transaction.on_commit(queue_after_commit, robust=True)

    def retry(self, *args: Any, **kwargs: Any) -> Any:
        # Inline (no broker, `make run`), a retry would wait inside the user's request; give up
        # at once instead: the periodic jobs try again.
        exc = kwargs.get("exc")
        if self.request.is_eager and exc is not None:
            raise exc
        return super().retry(*args, **kwargs)


app = Celery("research_governance", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
