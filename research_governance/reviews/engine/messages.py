"""What each committee's people read when the engine refuses, by committee kind: the two
committees' words side by side, so that they stay parallel and are translated alike."""

from django.utils.translation import gettext_lazy as _

from research_governance.committees.models import Committee

from .subject import CommitteeMessages

ETHICS = CommitteeMessages(
    not_under_review=_("Reviewers are assigned once the submission is accepted for review."),
    review_closed=_("Reviews are written while the submission is under review."),
    not_a_member=_("%(name)s is not a current member of the ethics committee."),
    reviewer_conflicted=_("%(name)s has a conflict of interest with this study and cannot review it (%(rule)s)."),
    decider_conflicted=_(
        "You have a conflict of interest with this study (%(rule)s) and take no part in its decision."
    ),
    conditions_missing=_("Write at least one condition, one per line."),
)

DATA_ACCESS = CommitteeMessages(
    not_under_review=_("Reviewers are assigned once the request is accepted for review."),
    review_closed=_("Reviews are written while the request is under review."),
    not_a_member=_("%(name)s is not a current member of the data access committee."),
    reviewer_conflicted=_("%(name)s has a conflict of interest with this request and cannot review it (%(rule)s)."),
    decider_conflicted=_(
        "You have a conflict of interest with this request (%(rule)s) and take no part in its decision."
    ),
    conditions_missing=_("Write the conditions of the approval."),
    summary_missing=_("Write your comments for the committee."),
)

MESSAGES: dict[str, CommitteeMessages] = {Committee.Kind.ETHICS: ETHICS, Committee.Kind.DATA_ACCESS: DATA_ACCESS}
