"""The submission workflow, declared as data: states, actions, who may act, and
what each action does to the protocol's status. Services consult this table and
nothing else; reading it shows the whole lifecycle.

Later issues add pre-screening returns, review routes, meetings and decisions here.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from research_governance.protocols.models import ProtocolStatus


class SubmissionKind(models.TextChoices):
    INITIAL = "initial", _("Initial application")


class SubmissionStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    RETURNED = "returned", _("Returned with requests")
    ACCEPTED = "accepted", _("Accepted for review")


class ReviewRoute(models.TextChoices):
    # JP-ERC-10 / US-IRB-05: expedited review by designated members, or the convened board.
    EXPEDITED = "expedited", _("Expedited review")
    FULL_BOARD = "full_board", _("Full-board review")


class Actor(StrEnum):
    # The PI, or a team member the PI delegated to edit and submit.
    APPLICANT = "applicant"
    SECRETARIAT = "secretariat"


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    actors: frozenset[Actor]
    protocol_status: str
    audit_action: str
    label: Promise
    refused_reason: Promise


# A source of "" means the submission does not exist yet.
TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="submit",
        sources=frozenset({""}),
        target=SubmissionStatus.SUBMITTED,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status=ProtocolStatus.SUBMITTED,
        audit_action="protocol.submitted",
        label=_("Submit"),
        refused_reason=_("Only a draft can be submitted."),
    ),
    Transition(
        action="withdraw",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.WITHDRAWN,
        actors=frozenset({Actor.APPLICANT}),
        protocol_status=ProtocolStatus.DRAFT,
        audit_action="submission.withdrawn",
        label=_("Withdraw submission"),
        refused_reason=_("The secretariat has already accepted this submission; it can no longer be withdrawn."),
    ),
    Transition(
        action="return",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.RETURNED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.RETURNED,
        audit_action="submission.returned",
        label=_("Return to the investigator"),
        refused_reason=_("Only a submission waiting for the secretariat can be returned."),
    ),
    Transition(
        action="accept",
        sources=frozenset({SubmissionStatus.SUBMITTED}),
        target=SubmissionStatus.ACCEPTED,
        actors=frozenset({Actor.SECRETARIAT}),
        protocol_status=ProtocolStatus.IN_REVIEW,
        audit_action="submission.accepted",
        label=_("Accept for review"),
        refused_reason=_("Only a submission waiting for the secretariat can be accepted."),
    ),
)

_BY_ACTION = {transition.action: transition for transition in TRANSITIONS}


class TransitionRefused(Exception):
    """An action that the workflow does not allow now, with a reason a person can read."""

    def __init__(self, reason: str | Promise):
        super().__init__(str(reason))
        self.reason = reason


def transition_for(action: str, current_status: str, actors: set[Actor]) -> Transition:
    """The transition for ``action`` from ``current_status``, or TransitionRefused saying why not."""
    transition = _BY_ACTION[action]
    if not (transition.actors & actors):
        raise TransitionRefused(_("You are not allowed to do this."))
    if current_status not in transition.sources:
        raise TransitionRefused(transition.refused_reason)
    return transition


def allowed_actions(current_status: str, actors: set[Actor]) -> list[Transition]:
    """The actions these actors can take now: what the page offers as next steps."""
    return [t for t in TRANSITIONS if current_status in t.sources and t.actors & actors]
