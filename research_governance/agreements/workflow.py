"""Data access, declared as data: a request goes from the requester to the data access committee
and is decided through the same machinery as an ethics submission (``reviews.workflow``'s
``Transition``, ``transition_for``, ``DecisionOutcome``); an approved request becomes an agreement
that both parties sign; the agreement lives only while the ethics approval of every dataset it
covers is active (docs/architecture.md; the cascade is agreements.cascade_services).

Three tables: the request (submit ... decide), the agreement (sign, suspend, reinstate, expire,
terminate) and the access grant (end). Every service that changes one of them asks
``transition_for`` with the table."""

from enum import StrEnum
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

from research_governance.audit.actions import AuditAction
from research_governance.reviews.workflow import DecisionOutcome, Transition, allowed_actions

if TYPE_CHECKING:
    from .models import DataAccessRequest


class RequestStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned with requests")
    ACCEPTED = "accepted", _("Under review by the data access committee")
    DECIDED = "decided", _("Decided")
    WITHDRAWN = "withdrawn", _("Withdrawn by the requester")


class AgreementStatus(models.TextChoices):
    AWAITING_SIGNATURES = "awaiting_signatures", _("Awaiting signatures")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    EXPIRED = "expired", _("Expired")
    TERMINATED = "terminated", _("Terminated")


class GrantState(models.TextChoices):
    # Stored states; a grant whose end has passed is inactive whatever is stored (AccessGrant.is_active).
    OPEN = "open", _("Open")
    ENDED = "ended", _("Ended")


class DataActor(StrEnum):
    REQUESTER = "requester"
    # The data access committee's chair or secretariat at the provider's institution.
    DAC_OFFICER = "dac_officer"
    # No person: the cascade from the ethics approval, or the end of the agreement's term.
    SYSTEM = "system"


# What the committee may decide on a request: the ethics outcomes that make sense for data access.
REQUEST_OUTCOMES = (
    DecisionOutcome.APPROVE,
    DecisionOutcome.APPROVE_WITH_CONDITIONS,
    DecisionOutcome.REVISE,
    DecisionOutcome.NOT_APPROVED,
)
APPROVING_REQUEST_OUTCOMES = frozenset({DecisionOutcome.APPROVE, DecisionOutcome.APPROVE_WITH_CONDITIONS})

REQUEST_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="submit",
        sources=frozenset({RequestStatus.DRAFT, RequestStatus.RETURNED}),
        target=RequestStatus.SUBMITTED,
        actors=frozenset({DataActor.REQUESTER}),
        protocol_status="",
        audit_action=AuditAction.DATA_REQUEST_SUBMITTED,
        label=_("Submit the request"),
        refused_reason=_("Only a draft or a returned request can be submitted."),
    ),
    Transition(
        action="withdraw",
        sources=frozenset({RequestStatus.SUBMITTED, RequestStatus.RETURNED, RequestStatus.ACCEPTED}),
        target=RequestStatus.WITHDRAWN,
        actors=frozenset({DataActor.REQUESTER}),
        protocol_status="",
        audit_action=AuditAction.DATA_REQUEST_WITHDRAWN,
        label=_("Withdraw the request"),
        refused_reason=_("A decided or withdrawn request can no longer be withdrawn."),
    ),
    Transition(
        action="return",
        sources=frozenset({RequestStatus.SUBMITTED}),
        target=RequestStatus.RETURNED,
        actors=frozenset({DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.DATA_REQUEST_RETURNED,
        label=_("Return to the requester"),
        refused_reason=_("Only a request waiting for the committee's secretariat can be returned."),
    ),
    Transition(
        action="accept",
        sources=frozenset({RequestStatus.SUBMITTED}),
        target=RequestStatus.ACCEPTED,
        actors=frozenset({DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.DATA_REQUEST_ACCEPTED,
        label=_("Accept for review"),
        refused_reason=_("Only a request waiting for the committee's secretariat can be accepted."),
    ),
    Transition(
        action="decide",
        sources=frozenset({RequestStatus.ACCEPTED}),
        target=RequestStatus.DECIDED,
        actors=frozenset({DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.DATA_REQUEST_DECIDED,
        label=_("Record the decision"),
        refused_reason=_("A decision is recorded only on a request accepted for review and not yet decided."),
    ),
)

AGREEMENT_TRANSITIONS: tuple[Transition, ...] = (
    # Each party signs once; once both have signed, ``activate``
    # follows in the same transaction (agreements.agreement_services.agreement_sign).
    Transition(
        action="sign",
        sources=frozenset({AgreementStatus.AWAITING_SIGNATURES}),
        target=AgreementStatus.AWAITING_SIGNATURES,
        actors=frozenset({DataActor.REQUESTER, DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_SIGNED,
        label=_("Sign the agreement"),
        refused_reason=_("Only an agreement awaiting signatures can be signed."),
    ),
    Transition(
        action="activate",
        sources=frozenset({AgreementStatus.AWAITING_SIGNATURES}),
        target=AgreementStatus.ACTIVE,
        actors=frozenset({DataActor.REQUESTER, DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_ACTIVATED,
        label=_("Both parties have signed: the agreement is in force"),
        refused_reason=_("Only an agreement awaiting signatures becomes active when both parties have signed."),
    ),
    Transition(
        action="suspend",
        sources=frozenset({AgreementStatus.ACTIVE, AgreementStatus.AWAITING_SIGNATURES}),
        target=AgreementStatus.SUSPENDED,
        actors=frozenset({DataActor.DAC_OFFICER, DataActor.SYSTEM}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_SUSPENDED,
        label=_("Suspend the agreement"),
        refused_reason=_("Only an active agreement, or one awaiting signatures, can be suspended."),
    ),
    Transition(
        action="reinstate",
        sources=frozenset({AgreementStatus.SUSPENDED}),
        target=AgreementStatus.ACTIVE,
        actors=frozenset({DataActor.DAC_OFFICER}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_REINSTATED,
        label=_("Reinstate the agreement"),
        refused_reason=_("Only a suspended agreement can be reinstated."),
    ),
    Transition(
        action="expire",
        sources=frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED}),
        target=AgreementStatus.EXPIRED,
        actors=frozenset({DataActor.SYSTEM}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_EXPIRED,
        label=_("Expire the agreement"),
        refused_reason=_("Only an active or suspended agreement can expire."),
    ),
    Transition(
        action="terminate",
        sources=frozenset({AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED, AgreementStatus.AWAITING_SIGNATURES}),
        target=AgreementStatus.TERMINATED,
        actors=frozenset({DataActor.DAC_OFFICER, DataActor.SYSTEM}),
        protocol_status="",
        audit_action=AuditAction.AGREEMENT_TERMINATED,
        label=_("Terminate the agreement"),
        refused_reason=_("An expired or terminated agreement cannot be terminated again."),
    ),
)

GRANT_TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        action="end",
        sources=frozenset({GrantState.OPEN}),
        target=GrantState.ENDED,
        actors=frozenset({DataActor.DAC_OFFICER, DataActor.SYSTEM}),
        protocol_status="",
        audit_action=AuditAction.ACCESS_GRANT_ENDED,
        label=_("End access"),
        refused_reason=_("This access has already ended."),
    ),
)

WORKFLOWS: tuple[tuple[str, type[models.TextChoices], tuple[Transition, ...]], ...] = (
    ("Data-access request", RequestStatus, REQUEST_TRANSITIONS),
    ("Data-sharing agreement", AgreementStatus, AGREEMENT_TRANSITIONS),
    ("Access grant", GrantState, GRANT_TRANSITIONS),
)


def allowed_request_actions(data_request: "DataAccessRequest", actors: set[DataActor]) -> list[Transition]:
    """What these actors can do with the request now: the page's next steps."""
    any_actors: set[StrEnum] = set(actors)
    return allowed_actions(data_request.status, any_actors, REQUEST_TRANSITIONS)
