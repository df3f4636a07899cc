"""Builders for the committee's side: a request taken step by step through review, decision,
signatures and terms (agreements.dac_services, agreements.agreement_services)."""

from research_governance.agreements import agreement_services, dac_services
from tests.factories import PASSWORD, UserFactory

from .support import make_request


def decided_request(dataset, dac, *, requester=None, team=(), outcome="approve", conditions=""):
    """A request accepted, reviewed by the first member and decided by the secretary."""
    _committee, _chair, secretary, others = dac
    requester = requester or UserFactory(email="requester@test.example")
    data_request = make_request(requester, [dataset], team=list(team))
    dac_services.request_accept(data_request=data_request, by=secretary)
    assignment = dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    dac_services.review_submit(review=assignment, by=others[0], recommendation="approve", comments="Sound plan.")
    return dac_services.decision_record(
        data_request=data_request, by=secretary, outcome=outcome, reasons="Within the consent.", conditions=conditions
    )


def active_agreement(dataset, dac, **kwargs):
    """An approved request whose agreement both parties have signed."""
    _committee, chair, _secretary, _others = dac
    data_request = decided_request(dataset, dac, **kwargs)
    agreement = data_request.agreement
    agreement_services.agreement_sign(agreement=agreement, by=data_request.requester, password=PASSWORD)
    agreement_services.agreement_sign(agreement=agreement, by=chair, password=PASSWORD)
    agreement.refresh_from_db()
    return agreement
