from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from research_governance.portal.workflow_table import workflow_document


class Command(BaseCommand):
    help = "Write docs/workflow.md: the workflow tables, then who acts next in each state (--check: exit 1 if stale)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--write", metavar="PATH", help="Write the document to PATH.")
        parser.add_argument("--check", metavar="PATH", help="Exit 1 when PATH differs from the generated document.")

    def handle(self, *args: Any, **options: Any) -> None:
        document = workflow_document()
        if options["check"]:
            if Path(options["check"]).read_text() != document:
                self.stderr.write(f"{options['check']} is out of date: run manage.py workflow_table --write it.")
                raise SystemExit(1)
            return
        if options["write"]:
            Path(options["write"]).write_text(document)
            return
        self.stdout.write(document, ending="")
