"""docs/workflow.md is generated from every workflow table (reviews, meetings, data sharing) by
``manage.py workflow_diagram``; it must be current."""

from pathlib import Path

from django.conf import settings

from research_governance.agreements.diagram import workflow_markdown


def test_the_workflow_diagram_in_docs_is_current():
    # The next-step table follows (portal.workflow_table, tests/portal/test_workflow_table.py).
    assert (Path(settings.BASE_DIR) / "docs" / "workflow.md").read_text().startswith(workflow_markdown())
