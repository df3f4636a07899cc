from typing import Any

from django.core.management.base import BaseCommand

from research_governance.agreements.diagram import workflow_markdown


class Command(BaseCommand):
    help = "Print the submission workflow as Markdown with a Mermaid diagram (for docs/workflow.md)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(workflow_markdown(), ending="")
