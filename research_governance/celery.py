"""The Celery application. Configured from Django settings (CELERY_* names).

With no REDIS_URL the settings make every task run inline (``task_always_eager``),
so ``make run`` needs nothing else running.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "research_governance.settings")

app = Celery("research_governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
