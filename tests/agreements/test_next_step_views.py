"""The request page's "Next step" says, from the declared steps, what the viewer must do (with the
button) and what everyone else is waiting for, since when; never that nothing is needed from
someone who must act."""

import html
import re

from django.urls import reverse
from django.utils import timezone

from research_governance.agreements import dac_services, services
from tests.conftest import signed_in
from tests.factories import UserFactory

from .review_support import active_agreement, decided_request
from .support import make_request


def next_step_card(user, data_request):
    response = signed_in(user).get(reverse("agreements:request_detail", args=[data_request.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    card = page[page.index('id="next-step"') :]
    card = card[: card.index("</section>")]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split()), card


def reviewed(dataset, dac):
    _committee, _chair, secretary, others = dac
    data_request = make_request(UserFactory(), [dataset])
    dac_services.request_accept(data_request=data_request, by=secretary)
    review = dac_services.reviewer_assign(data_request=data_request, by=secretary, reviewer=others[0])
    dac_services.review_submit(review=review, by=others[0], recommendation="approve", comments="Sound.")
    return data_request


def test_while_the_committee_decides_the_requester_reads_what_they_wait_for_and_since_when(dataset, dac):
    data_request = reviewed(dataset, dac)
    text, _card = next_step_card(data_request.requester, data_request)
    today = timezone.localdate().isoformat()
    assert f"Waiting for the data access committee's decision since {today}" in text
    assert "Record the committee's decision" not in text


def test_while_the_committee_decides_the_officer_reads_their_own_step_with_the_way_to_it(dataset, dac):
    _committee, _chair, secretary, _others = dac
    data_request = reviewed(dataset, dac)
    text, card = next_step_card(secretary, data_request)
    assert "Record the committee's decision on the data-access request" in text
    assert 'href="#committee-panel"' in card
    assert "Waiting for the data access committee's decision" not in text


def test_the_requester_of_an_approved_request_is_asked_to_sign_with_the_button(dataset, dac):
    data_request = decided_request(dataset, dac)
    text, card = next_step_card(data_request.requester, data_request)
    assert "Sign the agreement for the recipient" in text
    assert f'href="{reverse("agreements:agreement_sign", args=[data_request.agreement.pk])}"' in card
    _committee, _chair, secretary, _others = dac
    officer_text, _card = next_step_card(secretary, data_request)
    assert "Waiting for the requester's signature for the recipient since" in officer_text


def test_when_nothing_waits_the_page_says_so_truthfully(dataset, dac):
    agreement = active_agreement(dataset, dac)
    text, _card = next_step_card(agreement.request.requester, agreement.request)
    assert "Nothing is waiting for anyone on this request now." in text
    withdrawn = make_request(UserFactory(), [dataset])
    services.request_withdraw(data_request=withdrawn, by=withdrawn.requester)
    text, _card = next_step_card(withdrawn.requester, withdrawn)
    assert "The requester withdrew the request" in text
