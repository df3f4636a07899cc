"""How audit events read to people. Kept apart from how they are stored."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "protocol.created": _("Application created"),
    "protocol.draft_saved": _("Draft saved"),
    "protocol.team_member_added": _("Team member added"),
    "protocol.team_member_removed": _("Team member removed"),
    "protocol.site_added": _("Site added"),
    "protocol.site_removed": _("Site removed"),
    "protocol.recipient_added": _("Data recipient added"),
    "protocol.recipient_removed": _("Data recipient removed"),
    "document.added": _("Document added"),
    "document.replaced": _("Document replaced by a new version"),
    "document.withdrawn": _("Document removed from the application"),
    "protocol.submitted": _("Submitted"),
    "submission.withdrawn": _("Submission withdrawn"),
    "submission.accepted": _("Accepted for review by the secretariat"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
