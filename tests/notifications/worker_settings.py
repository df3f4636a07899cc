"""Settings for the Celery worker that test_worker.py starts: the app's own settings, with emails
written to files the test reads (locmem's outbox does not cross processes)."""

import os

from research_governance.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["RG_TEST_MAIL_DIR"]
