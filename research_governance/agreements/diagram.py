"""Mermaid state diagrams of the review workflows, generated from the tables."""

from django.utils import translation

from research_governance.agreements.workflow import WORKFLOWS as DATA_SHARING_WORKFLOWS
from research_governance.reviews.meeting.workflow import MEETING_TRANSITIONS
from research_governance.reviews.workflow import (
    DECISION_PROTOCOL_STATUS,
    KIND_RULES,
    WORKFLOWS,
    SubmissionKind,
    SubmissionStatus,
)


def workflow_markdown() -> str:
    with translation.override("en"):
        lines = [
            "# Submission workflow",
            "",
            "Generated from `research_governance/reviews/workflow.py` and `research_governance/agreements/workflow.py`",
            "(data sharing, on the same engine) by",
            "`python manage.py workflow_diagram > docs/workflow.md`; a test checks it is current.",
        ]
        for title, states, transitions in (*WORKFLOWS, *DATA_SHARING_WORKFLOWS):
            used = {s for t in transitions for s in t.sources} | {t.target for t in transitions}
            lines += ["", f"## {title}", "", "```mermaid", "stateDiagram-v2"]
            for status in states:
                if states is SubmissionStatus or status.value in used:
                    lines.append(f"    {status.value}: {status.label}")
            for transition in transitions:
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
            for t in transitions:
                sources = ", ".join(sorted(s or "(new)" for s in t.sources))
                actors = ", ".join(sorted(t.actors))
                protocol_status = t.protocol_status or ("by outcome" if t.action == "decide" else "(unchanged)")
                lines.append(
                    f"| {t.action} | {sources} | {t.target} | {actors} | {protocol_status} | `{t.audit_action}` |"
                )
        lines += [
            "",
            "## Kinds of submission",
            "",
            "One engine for every kind; the kinds differ only as `KIND_RULES` declares.",
            "",
            "| kind | decisions | new version | moves the protocol | approval must be | head permits (JP) "
            "| review before an expedited decision | urgent | closes the approval | rule |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        yes = {True: "yes", False: "no"}
        for kind, rules in KIND_RULES.items():
            statuses = ", ".join(sorted(s or "(none yet)" for s in rules.approval_statuses))
            lines.append(
                f"| {SubmissionKind(kind).label} | {', '.join(rules.outcomes)} | {yes[rules.carries_version]} "
                f"| {yes[rules.moves_protocol]} | {statuses} | {yes[rules.head_permits]} | {yes[rules.needs_review]} "
                f"| {yes[rules.urgent]} | {yes[rules.closes_approval]} | {rules.rule or '—'} |"
            )
        lines += [
            "",
            "## Meeting (full-board route)",
            "",
            "Declared in `research_governance/reviews/meeting/workflow.py`; only the secretariat changes a meeting.",
            "",
            "```mermaid",
            "stateDiagram-v2",
        ]
        for step in MEETING_TRANSITIONS:
            for source in sorted(step.sources):
                lines.append(f"    {source or '[*]'} --> {step.target}: {step.action}")
        lines += ["```", "", "| action | from | to | audit event |", "|---|---|---|---|"]
        for step in MEETING_TRANSITIONS:
            sources = ", ".join(sorted(s or "(new)" for s in step.sources))
            lines.append(f"| {step.action} | {sources} | {step.target} | `{step.audit_action}` |")
        lines += ["", "## Protocol status after a decision on the initial application", ""]
        lines += ["| outcome | rule set | protocol becomes |"]
        lines.append("|---|---|---|")
        for (outcome, rule_set), protocol_status in DECISION_PROTOCOL_STATUS.items():
            lines.append(f"| {outcome} | {rule_set} | {protocol_status} |")
    return "\n".join(lines) + "\n"
