"""Celery tasks of the audit trail: thin, each calls a service."""

from celery import shared_task

from .verification import verify_and_alert


@shared_task(name="research_governance.audit.tasks.verify_audit_chain")
def verify_audit_chain() -> dict:
    """The daily check of the hash chain (SEC-05). Read-only, so running it again is harmless; on
    failure every administrator is notified again, which is wanted until someone acts."""
    report = verify_and_alert()
    return {"intact": report.intact, "events": report.events, "head_id": report.head_id, "head_hash": report.head_hash}
