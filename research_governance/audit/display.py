"""How audit events read to people. Kept apart from how they are stored; the labels are the
``AuditAction`` members' own."""

from .actions import AuditAction

ACTION_LABELS = dict(AuditAction.choices)


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
