"""`python manage.py verify_audit`: check the audit trail's hash chain (SEC-05).

Exits 0 and prints a summary when every event verifies; exits 1 naming the first event that does
not (its id, time and action) and why. Cron or the daily Celery task run it; see docs/deploy.md."""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import translation

from research_governance.audit.verification import CHUNK, verify_chain


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 naming the first event that does not verify."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--chunk", type=int, default=CHUNK, help=f"events read per query (default {CHUNK})")

    def handle(self, *args: Any, **options: Any) -> None:
        # For operators' terminals and logs: one language, whatever the site's default.
        with translation.override("en"):
            report = verify_chain(chunk=options["chunk"])
            summary = report.summary()
        if report.intact:
            self.stdout.write(summary)
            return
        self.stderr.write(summary)
        sys.exit(1)
