"""A Mermaid state diagram of the submission workflow, generated from the table."""

from django.utils import translation

from .workflow import TRANSITIONS, SubmissionStatus


def workflow_markdown() -> str:
    with translation.override("en"):
        lines = [
            "# Submission workflow",
            "",
            "Generated from `research_governance/reviews/workflow.py` by",
            "`python manage.py workflow_diagram > docs/workflow.md`; a test checks it is current.",
            "",
            "```mermaid",
            "stateDiagram-v2",
        ]
        for status in SubmissionStatus:
            lines.append(f"    {status.value}: {status.label}")
        for transition in TRANSITIONS:
            actors = ", ".join(sorted(transition.actors))
            for source in sorted(transition.sources):
                start = source or "[*]"
                lines.append(f"    {start} --> {transition.target}: {transition.action} ({actors})")
        lines += [
            "```",
            "",
            "| action | from | to | who | protocol becomes | audit event |",
            "|---|---|---|---|---|---|",
        ]
        for t in TRANSITIONS:
            sources = ", ".join(sorted(s or "(new)" for s in t.sources))
            actors = ", ".join(sorted(t.actors))
            lines.append(
                f"| {t.action} | {sources} | {t.target} | {actors} | {t.protocol_status} | `{t.audit_action}` |"
            )
    return "\n".join(lines) + "\n"
