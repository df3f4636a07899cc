from django import template

from research_governance.audit.display import action_label

register = template.Library()


@register.filter
def audit_label(action: str) -> str:
    """The action's label for people, in their language (its ``AuditAction`` label)."""
    return action_label(action)
