"""How audit events read to people. Kept apart from how they are stored; the labels are the
``AuditAction`` members' own, and ``event_line`` says what happened to whom where the event's
data tells (a conflict declared or none, the reviewer assigned)."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext

from .actions import AuditAction

ACTION_LABELS = dict(AuditAction.choices)

_CONFLICT_DECLARATIONS = frozenset({AuditAction.REVIEW_CONFLICT_DECLARED, AuditAction.DATA_REQUEST_CONFLICT_DECLARED})
_ASSIGNED = frozenset({AuditAction.REVIEW_REVIEWER_ASSIGNED, AuditAction.DATA_REQUEST_REVIEWER_ASSIGNED})
_UNASSIGNED = frozenset({AuditAction.REVIEW_REVIEWER_UNASSIGNED})


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def people_named(events: Iterable[Any]) -> set[int]:
    """The ids of the people the events' lines name (besides their actors)."""
    return {
        event.data["reviewer_id"]
        for event in events
        if event.action in _ASSIGNED | _UNASSIGNED and isinstance(event.data, dict) and event.data.get("reviewer_id")
    }


def event_line(action: str, data: Any, names: Mapping[int, str] | None = None) -> str:
    """One line of a history: what happened, and to whom when the data says.

    ``names`` maps the ids from ``people_named`` to display names."""
    data = data if isinstance(data, dict) else {}
    if action in _CONFLICT_DECLARATIONS and "has_conflict" in data:
        if data["has_conflict"]:
            return gettext("Declared a conflict of interest")
        return gettext("Declared no conflict of interest")
    name = (names or {}).get(data.get("reviewer_id"))
    if name and action in _ASSIGNED:
        return gettext("Reviewer assigned: %(name)s") % {"name": name}
    if name and action in _UNASSIGNED:
        return gettext("Reviewer unassigned: %(name)s") % {"name": name}
    return action_label(action)
