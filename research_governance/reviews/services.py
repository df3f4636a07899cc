"""The review engine's service functions, for the other apps: each is defined in the module of
its concern (submission, prescreen, assignment, review, decision, conditions, permission,
post_approval, meeting), and the modules of the engine import it from there."""

from .assignment.services import conflict_declare, reviewer_assign, reviewer_unassign
from .conditions.services import condition_answer, condition_sign_off
from .decision.services import decision_record
from .participants import actors_for
from .permission.services import head_permit, head_refuse, site_permission_record, sites_needing_permission
from .post_approval.approval_services import (
    add_months,
    approval_close,
    approval_expire,
    approval_suspend,
    approvals_expire,
)
from .post_approval.services import amendment_start, report_submit
from .prescreen.services import request_answer, submission_accept, submission_return
from .review.services import CHECKLIST_SECTIONS, RATING_LABELS, review_save, review_submit
from .selectors import current_approval
from .submission.services import IncompleteApplication, protocol_submit, returned_submission, submission_withdraw
from .workflow import TransitionRefused

__all__ = [
    "CHECKLIST_SECTIONS",
    "RATING_LABELS",
    "IncompleteApplication",
    "TransitionRefused",
    "actors_for",
    "add_months",
    "amendment_start",
    "approval_close",
    "approval_expire",
    "approval_suspend",
    "approvals_expire",
    "condition_answer",
    "condition_sign_off",
    "conflict_declare",
    "current_approval",
    "decision_record",
    "head_permit",
    "head_refuse",
    "protocol_submit",
    "report_submit",
    "request_answer",
    "returned_submission",
    "review_save",
    "review_submit",
    "reviewer_assign",
    "reviewer_unassign",
    "site_permission_record",
    "sites_needing_permission",
    "submission_accept",
    "submission_return",
    "submission_withdraw",
]
