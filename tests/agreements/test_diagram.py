"""docs/workflow.md is generated from every workflow table (reviews, meetings, data sharing) by
``manage.py workflow_diagram``; it must be current."""

from pathlib import Path

from django.conf import settings

from research_governance.agreements.diagram import workflow_markdown


def test_the_workflow_diagram_in_docs_is_current():
    assert (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text() == workflow_markdown()
