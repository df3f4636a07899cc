"""Every audit action, by name: what services write and what people read for it.

Services pass these members to ``audit_record``, which refuses any other action, so a name
written in one place and read in another cannot drift apart."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    PROTOCOL_CREATED = "protocol.created", _("Application created")
    PROTOCOL_DRAFT_SAVED = "protocol.draft_saved", _("Draft saved")
    PROTOCOL_TEAM_MEMBER_ADDED = "protocol.team_member_added", _("Team member added")
    PROTOCOL_TEAM_MEMBER_REMOVED = "protocol.team_member_removed", _("Team member removed")
    PROTOCOL_SITE_ADDED = "protocol.site_added", _("Site added")
    PROTOCOL_SITE_REMOVED = "protocol.site_removed", _("Site removed")
    PROTOCOL_RECIPIENT_ADDED = "protocol.recipient_added", _("Data recipient added")
    PROTOCOL_RECIPIENT_REMOVED = "protocol.recipient_removed", _("Data recipient removed")
    DOCUMENT_ADDED = "document.added", _("Document added")
    DOCUMENT_REPLACED = "document.replaced", _("Document replaced by a new version")
    DOCUMENT_WITHDRAWN = "document.withdrawn", _("Document removed from the application")
    PROTOCOL_SUBMITTED = "protocol.submitted", _("Submitted")
    SUBMISSION_WITHDRAWN = "submission.withdrawn", _("Submission withdrawn")
    SUBMISSION_ACCEPTED = "submission.accepted", _("Accepted for review by the secretariat")
    SUBMISSION_RETURNED = "submission.returned", _("Returned to the investigator")
    SUBMISSION_REQUESTS_MADE = "submission.requests_made", _("Requests from the secretariat")
    SUBMISSION_REQUEST_ANSWERED = "submission.request_answered", _("Request answered")
    REVIEW_REVIEWER_ASSIGNED = "review.reviewer_assigned", _("Reviewer assigned")
    REVIEW_REVIEWER_UNASSIGNED = "review.reviewer_unassigned", _("Reviewer unassigned")
    REVIEW_CONFLICT_DECLARED = "review.conflict_declared", _("Conflict of interest declaration")
    REVIEW_SUBMITTED = "review.submitted", _("Review submitted")
    REVIEW_COMMENT_ADDED = "review.comment_added", _("Review comment added")
    REVIEW_COMMENT_DELETED = "review.comment_deleted", _("Review comment deleted")
    REVIEW_VOTE_CAST = "review.vote_cast", _("Vote cast")
    MEETING_ITEM_ADDED = "meeting.item_added", _("Put on a meeting's agenda")
    MEETING_RECUSAL_RECORDED = "meeting.recusal_recorded", _("Recusal recorded")
    MEETING_ITEM_DECIDED = "meeting.item_decided", _("Decided at the meeting")
    MEETING_ITEM_DEFERRED = "meeting.item_deferred", _("Deferred to a later meeting")
    MEETING_ITEM_REMOVED = "meeting.item_removed", _("Taken off a meeting's agenda")
    MEETING_SCHEDULED = "meeting.scheduled", _("Meeting scheduled")
    MEETING_RESCHEDULED = "meeting.rescheduled", _("Meeting moved to another date, time or place")
    MEETING_ATTENDANCE_RECORDED = "meeting.attendance_recorded", _("Meeting attendance recorded")
    MEETING_MINUTES_UPDATED = "meeting.minutes_updated", _("Meeting minutes edited")
    MEETING_CLOSED = "meeting.closed", _("Meeting closed; minutes final")
    DECISION_RECORDED = "decision.recorded", _("Committee decision recorded")
    CONDITION_ANSWERED = "condition.answered", _("Condition answered")
    CONDITION_SIGNED_OFF = "condition.signed_off", _("Condition signed off")
    PERMISSION_GRANTED = "permission.granted", _("Permitted by the head of institution")
    PERMISSION_REFUSED = "permission.refused", _("Refused by the head of institution")
    APPROVAL_ISSUED = "approval.issued", _("Approval issued")
    APPROVAL_SUSPENDED = "approval.suspended", _("Approval suspended")
    APPROVAL_CLOSED = "approval.closed", _("Approval closed")
    APPROVAL_AMENDED = "approval.amended", _("Amendment in force")
    APPROVAL_EXPIRED = "approval.expired", _("Approval expired at the end of its period")
    # Oversight (oversight.services): an auditor's check of an approval.
    APPROVAL_CHECKED = "approval.checked", _("Approval checked by an auditor")
    AMENDMENT_STARTED = "amendment.started", _("Amendment started")
    REPORT_SUBMITTED = "report.submitted", _("Report submitted")
    LETTER_ISSUED = "letter.issued", _("Decision letter issued")
    LETTER_CORRECTED = "letter.corrected", _("Corrected decision letter issued")
    # Data sharing: the requester's side (agreements.services).
    DATASET_REGISTERED = "dataset.registered", _("Dataset registered for sharing")
    DATA_REQUEST_CREATED = "data_request.created", _("Data-access request created")
    DATA_REQUEST_UPDATED = "data_request.updated", _("Data-access request edited")
    DATA_REQUEST_SUBMITTED = "data_request.submitted", _("Data-access request submitted")
    DATA_REQUEST_WITHDRAWN = "data_request.withdrawn", _("Data-access request withdrawn")
    DATA_REQUEST_RENEWAL_STARTED = "data_request.renewal_started", _("Renewal started from an earlier request")
    # Data sharing: the committee, agreements and grants (agreements.dac_services, agreement_services).
    DATA_REQUEST_RETURNED = "data_request.returned", _("Data-access request returned to the requester")
    DATA_REQUEST_ACCEPTED = "data_request.accepted", _("Data-access request accepted for review by the committee")
    DATA_REQUEST_REVIEWER_ASSIGNED = "data_request.reviewer_assigned", _("Data access committee reviewer assigned")
    DATA_REQUEST_CONFLICT_DECLARED = (
        "data_request.conflict_declared",
        _("Conflict of interest declared on a data-access request"),
    )
    DATA_REQUEST_REVIEW_SUBMITTED = "data_request.review_submitted", _("Data-access review submitted")
    DATA_REQUEST_DECIDED = "data_request.decided", _("Data access committee decision recorded")
    AGREEMENT_CREATED = "agreement.created", _("Data-sharing agreement drawn up")
    AGREEMENT_DOCUMENT_RENDERED = "agreement.document_rendered", _("Data-sharing agreement document rendered")
    AGREEMENT_SIGNED = "agreement.signed", _("Data-sharing agreement signed")
    AGREEMENT_ACTIVATED = "agreement.activated", _("Data-sharing agreement in force (both parties signed)")
    AGREEMENT_TERMS_ACCEPTED = "agreement.terms_accepted", _("Terms of the data-sharing agreement accepted")
    ACCESS_GRANT_CREATED = "access_grant.created", _("Access to data granted")
    # Data sharing: cascade, destruction and provision records (agreements.cascade_services,
    # agreements.records_services).
    AGREEMENT_SUSPENDED = "agreement.suspended", _("Data-sharing agreement suspended")
    ACCESS_GRANT_ENDED = "access_grant.ended", _("Access to shared data ended")
    AGREEMENT_REINSTATED = "agreement.reinstated", _("Data-sharing agreement reinstated")
    ACCESS_GRANT_REISSUED = "access_grant.reissued", _("Access to shared data granted again after reinstatement")
    AGREEMENT_EXPIRED = "agreement.expired", _("Data-sharing agreement expired at the end of its term")
    AGREEMENT_TERMINATED = "agreement.terminated", _("Data-sharing agreement terminated")
    AGREEMENT_RE_REVIEW_FLAGGED = (
        "agreement.re_review_flagged",
        _("Data-sharing agreement flagged for re-review (consent changed)"),
    )
    AGREEMENT_RE_REVIEW_CLEARED = "agreement.re_review_cleared", _("Re-review of a data-sharing agreement recorded")
    DATASET_SCOPE_CHANGED = "dataset.scope_changed", _("Consent scope of a dataset changed")
    DESTRUCTION_RECORDED = "destruction.recorded", _("Destruction of shared data recorded")
    PROVISION_RECORDED = "provision.recorded", _("Provision of data recorded (JP-IC-12)")
    # Data sharing: refusals and withdrawals (agreements.refusal_services).
    REFUSAL_REGISTERED = "refusal.registered", _("Refusal or withdrawal registered by the study team")
    REFUSAL_RECEIVED_PUBLIC = "refusal.received_public", _("Refusal received through the public notice")
    REFUSAL_ACKNOWLEDGED = "refusal.acknowledged", _("Refusal acknowledged by a recipient")
    REFUSAL_HANDLED = "refusal.handled", _("What was done about a refusal recorded")
    # Committee rosters and settings (committees.services).
    COMMITTEE_MEMBER_ADDED = "committee.member_added", _("Committee member added")
    COMMITTEE_MEMBER_UPDATED = "committee.member_updated", _("Committee membership changed")
    COMMITTEE_MEMBER_TERM_ENDED = "committee.member_term_ended", _("Committee member's term ended")
    COMMITTEE_SETTINGS_CHANGED = "committee.settings_changed", _("Committee settings changed")
    # SEC-02: second factors (authenticator app, security key, recovery codes).
    ACCOUNT_MFA_ADDED = "account.mfa_added", _("Two-factor authentication set up")
    ACCOUNT_MFA_REMOVED = "account.mfa_removed", _("Two-factor authentication removed")
    ACCOUNT_MFA_RECOVERY_CODES_REGENERATED = (
        "account.mfa_recovery_codes_regenerated",
        _("Two-factor recovery codes regenerated"),
    )
