"""Celery tasks of the reminders: thin, each calls a service."""

from celery import shared_task

from .services import reminders_scan


@shared_task(name="research_governance.reminders.tasks.scan_reminders")
def scan_reminders() -> dict:
    """The daily scan. Idempotent: the reminders sent are recorded under a unique constraint, so a
    redelivered or repeated run the same day sends nothing again."""
    return reminders_scan().as_dict()
