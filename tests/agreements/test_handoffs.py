"""A data-access request from submission to access: at each step, each person who must act next is
told once, with a link to the request's page; the person who acted is not; announcing again tells
nobody."""

from collections import Counter

from django.db import transaction
from django.urls import reverse

from research_governance.agreements import agreement_services, dac_services, services
from research_governance.notifications.handoff import announce
from research_governance.notifications.models import Notification
from tests.factories import PASSWORD, UserFactory

from .support import make_request


class Told:
    """The notifications queued since the last look, as {person: count} and per kind."""

    def __init__(self):
        self.last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    def since(self):
        new = list(Notification.objects.filter(pk__gt=self.last).order_by("pk"))
        self.last = new[-1].pk if new else self.last
        return new


def per_person(notifications, kind=None):
    return Counter(n.recipient_id for n in notifications if kind is None or n.kind == kind)


def test_each_step_of_the_journey_tells_each_new_actor_once_and_never_the_person_acting(dataset, dac):
    _committee, chair, secretary, others = dac
    reviewer = others[0]
    requester, colleague = UserFactory(), UserFactory()
    told = Told()

    data_request = make_request(requester, [dataset], team=[colleague])
    link = reverse("agreements:request_detail", args=[data_request.pk])
    new = told.since()
    assert per_person(new) == {chair.pk: 1, secretary.pk: 1}
    assert {n.kind for n in new} == {"work.waiting"}
    assert {n.link for n in new} == {link}

    dac_services.request_accept(data_request=data_request, by=secretary)
    assert per_person(told.since()) == {chair.pk: 1}  # assign reviewers; the secretary acted

    review = dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=reviewer)
    assert per_person(told.since()) == {reviewer.pk: 1}

    dac_services.review_submit(review=review, by=reviewer, recommendation="approve", comments="Sound.")
    assert per_person(told.since()) == {chair.pk: 1, secretary.pk: 1}  # decide

    dac_services.decision_record(data_request=data_request, by=secretary, outcome="approve", reasons="Fine.")
    new = told.since()
    # The requester is asked to sign, the colleague to accept the terms: one notification each.
    assert per_person(new) == {requester.pk: 1, colleague.pk: 1}
    assert per_person(new, "work.waiting") == {requester.pk: 1, colleague.pk: 1}

    agreement = data_request.agreement
    agreement_services.agreement_sign(agreement=agreement, by=requester, password=PASSWORD)
    assert per_person(told.since()) == {chair.pk: 1, secretary.pk: 1}  # sign for the provider

    agreement_services.agreement_sign(agreement=agreement, by=chair, password=PASSWORD)
    new = told.since()
    # Nobody new must act; both parties but the signer are told the agreement is in force.
    assert per_person(new, "work.waiting") == {}
    assert per_person(new) == {requester.pk: 1, colleague.pk: 1, secretary.pk: 1}

    agreement_services.terms_accept(agreement=agreement, by=colleague)
    assert told.since() == []
    assert agreement.grants.filter(user=colleague).exists()

    with transaction.atomic():
        assert announce(request_ids=[data_request.pk], by=None) == []


def test_a_returned_request_asks_the_requester_and_its_resubmission_asks_the_officers_again(dataset, dac):
    _committee, chair, secretary, _others = dac
    requester = UserFactory()
    data_request = make_request(requester, [dataset])
    told = Told()
    dac_services.request_return(data_request=data_request, by=secretary, reasons="Name the server.")
    assert per_person(told.since()) == {requester.pk: 1}

    services.request_submit(data_request=data_request, by=requester)
    # A new submission is a new occurrence of the pre-screening: both officers are asked again.
    assert per_person(told.since()) == {chair.pk: 1, secretary.pk: 1}


def test_a_reviewer_who_declares_a_conflict_hands_the_request_back_to_the_officers(dataset, dac):
    _committee, chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    dac_services.request_accept(data_request=data_request, by=secretary)
    dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    told = Told()
    dac_services.conflict_declare(data_request=data_request, member=others[0], reason="My student.")
    # No live review: assigning reviewers waits again, and both officers are asked; the member is not.
    assert per_person(told.since(), "work.waiting") == {chair.pk: 1, secretary.pk: 1}
