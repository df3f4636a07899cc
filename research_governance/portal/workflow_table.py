"""docs/workflow.md, whole: the workflow tables and diagrams (``agreements.diagram``), then who acts
next in each state, generated from every registered work source (``core.work.declared_steps``).
A source registered later (data access, oversight) appears here without a change."""

from django.utils import translation

from research_governance.agreements.diagram import workflow_markdown
from research_governance.core.work import Step, declared_steps

HEADER = (
    "## Who acts next\n\n"
    "Generated from the declared next steps of every workflow (`core.work.declared_steps()`) by\n"
    "`python manage.py workflow_table --write docs/workflow.md`; a test checks it is current.\n"
    "Each step tells its actor once when it becomes pending (notification `work.waiting`), unless\n"
    "it says otherwise.\n\n"
    "| workflow | state | next actor | step | others see | due | notification |\n"
    "|---|---|---|---|---|---|---|\n"
)


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def _notification(step: Step) -> str:
    if step.notifies:
        return "`work.waiting`"
    if step.code == "ethics.meeting":
        return "`meeting.notice` (per notice version), `meeting.changed` (per change)"
    return "none (the actor started it)"


def next_steps_markdown() -> str:
    rows = []
    with translation.override("en"):
        for row in declared_steps():
            if row.terminal is not None:
                rows.append(f"| {_cell(row.workflow)} | {row.state} | - | terminal: {_cell(row.terminal.why)} | | | |")
                continue
            for step in row.steps:
                rows.append(
                    f"| {_cell(row.workflow)} | {row.state} | {step.actor} | {_cell(step.label)} "
                    f"| {_cell(step.waiting)} | {_cell(step.due_rule)} | {_notification(step)} |"
                )
    return HEADER + "\n".join(rows) + "\n"


def workflow_document() -> str:
    return workflow_markdown() + "\n" + next_steps_markdown()
