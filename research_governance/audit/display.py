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
    "submission.returned": _("Returned to the investigator"),
    "submission.requests_made": _("Requests from the secretariat"),
    "submission.request_answered": _("Request answered"),
    "review.reviewer_assigned": _("Reviewer assigned"),
    "review.reviewer_unassigned": _("Reviewer unassigned"),
    "review.conflict_declared": _("Conflict of interest declared"),
    "review.submitted": _("Review submitted"),
    "review.comment_added": _("Review comment added"),
    "review.comment_deleted": _("Review comment deleted"),
    "review.vote_cast": _("Vote cast"),
    "meeting.item_added": _("Put on a meeting's agenda"),
    "meeting.recusal_recorded": _("Recusal recorded"),
    "meeting.item_decided": _("Decided at the meeting"),
    "meeting.item_deferred": _("Deferred to a later meeting"),
    "meeting.scheduled": _("Meeting scheduled"),
    "meeting.attendance_recorded": _("Meeting attendance recorded"),
    "meeting.minutes_updated": _("Meeting minutes edited"),
    "meeting.closed": _("Meeting closed; minutes final"),
    "decision.recorded": _("Committee decision recorded"),
    "condition.answered": _("Condition answered"),
    "condition.signed_off": _("Condition signed off"),
    "permission.granted": _("Permitted by the head of institution"),
    "permission.refused": _("Refused by the head of institution"),
    "approval.issued": _("Approval issued"),
    "approval.suspended": _("Approval suspended"),
    "approval.closed": _("Approval closed"),
    "approval.amended": _("Amendment in force"),
    "approval.expired": _("Approval expired at the end of its period"),
    "amendment.started": _("Amendment started"),
    "report.submitted": _("Report submitted"),
    "letter.issued": _("Decision letter issued"),
    "letter.corrected": _("Corrected decision letter issued"),
    # Data sharing: the requester's side (agreements.services).
    "dataset.registered": _("Dataset registered for sharing"),
    "data_request.created": _("Data-access request created"),
    "data_request.updated": _("Data-access request edited"),
    "data_request.submitted": _("Data-access request submitted"),
    "data_request.withdrawn": _("Data-access request withdrawn"),
    "data_request.renewal_started": _("Renewal started from an earlier request"),
    # Data sharing: the committee, agreements and grants (agreements.review).
    # Data sharing: cascade, destruction and provision records (agreements.cascade, agreements.records).
    # Data sharing: refusals and withdrawals (agreements.refusals).
    "refusal.registered": _("Refusal or withdrawal registered by the study team"),
    "refusal.received_public": _("Refusal received through the public notice"),
    "refusal.acknowledged": _("Refusal acknowledged by a recipient"),
    "refusal.handled": _("What was done about a refusal recorded"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
