"""docs/workflow.md carries, after the workflow tables, who acts next in every state: generated
from the declared steps by ``manage.py workflow_table``, and current."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import translation

from research_governance.core.work import declared_steps
from research_governance.portal.workflow_table import next_steps_markdown, workflow_document

DOC = Path(settings.BASE_DIR) / "docs" / "workflow.md"


def test_the_committed_workflow_document_is_the_generated_one():
    assert DOC.read_text() == workflow_document()


def test_the_check_fails_on_a_stale_document(tmp_path):
    stale = tmp_path / "workflow.md"
    stale.write_text("old")
    with pytest.raises(SystemExit) as exited:
        call_command("workflow_table", check=str(stale))
    assert exited.value.code == 1
    call_command("workflow_table", write=str(stale))
    call_command("workflow_table", check=str(stale))


def test_every_declared_step_and_terminal_state_has_a_row():
    table = next_steps_markdown()
    with translation.override("en"):
        for row in declared_steps():
            for step in row.steps:
                assert f"| {step.label} |" in table
            if row.terminal:
                assert f"terminal: {row.terminal.why}" in table
