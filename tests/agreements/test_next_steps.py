"""Data access's next steps (agreements.next_steps): every state of every data-access table says
what can be pending or why nothing is; a user's "Waiting for you" and the items about a request
agree; the committee's items stay with the provider institution's unconflicted officers."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from research_governance.agreements import agreement_services, dac_services, refusal_services
from research_governance.agreements.models import RefusalAcknowledgement
from research_governance.agreements.next_steps import DataAccessWork
from research_governance.agreements.workflow import WORKFLOWS
from research_governance.committees.models import Committee, CommitteeMembership
from research_governance.core.work import NextActor, declared_steps, work_about, work_for
from tests.factories import PASSWORD, InstitutionFactory, UserFactory

from .records_support import make_agreement
from .review_support import decided_request
from .support import make_request

SOURCE = DataAccessWork()


def test_every_state_of_every_data_access_table_has_its_steps_or_says_why_none():
    rows = {(row.workflow, row.state): row for row in SOURCE.declaration()}
    for workflow, states, _transitions in WORKFLOWS:
        for state in states.values:
            row = rows.get((workflow, state))
            assert row is not None, f"{workflow} / {state} is not declared"
            assert row.steps or (row.terminal and str(row.terminal.why))


def test_the_data_access_source_is_registered_with_the_other_workflows():
    assert any(row.workflow == "Data-access request" for row in declared_steps())


def test_every_step_speaks_to_its_actor_and_to_the_others():
    for row in SOURCE.declaration():
        for step in row.steps:
            assert str(step.label)
            assert str(step.waiting).startswith("Waiting for")
            assert str(step.due_rule)


@pytest.fixture
def world(dataset, dac, pi):
    """Requests at every point of the journey, one refusal, and the people of both sides."""
    _committee, chair, secretary, others = dac
    requester, colleague = UserFactory(email="req@test.example"), UserFactory(email="colleague@test.example")
    draft = make_request(requester, [dataset], submit=False)
    submitted = make_request(requester, [dataset], team=[colleague])
    returned = make_request(requester, [dataset])
    dac_services.request_return(data_request=returned, by=secretary, reasons="Name the server.")
    reviewing = make_request(requester, [dataset])
    dac_services.request_accept(data_request=reviewing, by=secretary)
    dac_services.reviewer_assign(data_request=reviewing, by=secretary, reviewer=others[1])
    signing = decided_request(dataset, dac, requester=requester, team=[colleague])
    ended = make_agreement(make_request(UserFactory(), [dataset]), status="expired", term_days=-1)
    refusal = refusal_services.refusal_register(
        protocol=dataset.protocol, by=pi, kind="withdrawal", subject_code="KD-1"
    )
    return {
        "requests": [draft, submitted, returned, reviewing, signing, ended.request],
        "people": [chair, secretary, *others, requester, colleague, pi, ended.request.requester],
        "requester": requester,
        "colleague": colleague,
        "signing": signing,
        "protocol_ids": [dataset.protocol_id],
        "refusal": refusal,
    }


def test_a_users_work_is_exactly_the_items_about_those_requests_where_they_act(world):
    everything = SOURCE.about(request_ids=[r.pk for r in world["requests"]], protocol_ids=world["protocol_ids"])
    assert {item.step.code for item in everything} >= {
        "data.submit",
        "data.prescreen",
        "data.resubmit",
        "data.review",
        "data.sign_recipient",
        "data.accept_terms",
        "data.destruction",
        "data.acknowledge_refusal",
        "data.handle_refusal",
    }
    assert len({item.key for item in everything}) == len(everything)
    for person in world["people"]:
        expected = {item.key for item in everything if person.pk in item.actor_ids}
        assert {item.key for item in SOURCE.for_user(person)} == expected, person.email


def test_finding_items_takes_the_same_queries_for_one_request_or_many(world):
    ids = [r.pk for r in world["requests"]]
    with CaptureQueriesContext(connection) as one:
        SOURCE.about(request_ids=ids[4:5])
    with CaptureQueriesContext(connection) as many:
        SOURCE.about(request_ids=ids)
    assert len(many) == len(one)


def test_the_requester_never_gets_the_committees_items(world):
    committee_actors = {NextActor.DAC_OFFICER, NextActor.DAC_REVIEWER}
    assert not [item for item in work_for(world["requester"]) if item.actor in committee_actors]


def test_another_institutions_committee_officer_gets_nothing(world):
    committee = Committee.objects.create(
        institution=InstitutionFactory(code="elsewhere", name_en="Elsewhere", name_ja="他大学"),
        code="dac-elsewhere",
        name_ja="委員会",
        name_en="Committee",
        kind=Committee.Kind.DATA_ACCESS,
    )
    outsider = UserFactory()
    CommitteeMembership.objects.create(
        committee=committee,
        user=outsider,
        role=CommitteeMembership.Role.CHAIR,
        valid_from=timezone.localdate() - timedelta(days=1),
    )
    assert SOURCE.for_user(outsider) == []
    everything = work_about(request_ids=[r.pk for r in world["requests"]])
    assert not [item for item in everything if outsider.pk in item.actor_ids]


def test_an_officer_conflicted_on_a_request_is_not_asked_to_act_on_it(dataset, dac):
    _committee, chair, secretary, _others = dac
    own = make_request(chair, [dataset])
    [prescreen] = SOURCE.about(request_ids=[own.pk])
    assert prescreen.actor_ids == {secretary.pk}


def test_the_provider_signs_after_the_recipient_and_the_team_accepts_the_terms(world, dac):
    _committee, chair, secretary, _others = dac
    signing = world["signing"]

    def pending():
        # The refusal registered in the world waits for an acknowledgement too; it is not the point here.
        items = SOURCE.about(request_ids=[signing.pk])
        return {item.step.code: item for item in items if item.step.code != "data.acknowledge_refusal"}

    codes = pending()
    assert set(codes) == {"data.sign_recipient", "data.accept_terms"}
    assert codes["data.sign_recipient"].actor_ids == {world["requester"].pk}
    # The requester's signature is their acceptance: only the colleague is asked to accept.
    assert codes["data.accept_terms"].actor_ids == {world["colleague"].pk}
    agreement_services.agreement_sign(agreement=signing.agreement, by=world["requester"], password=PASSWORD)
    codes = pending()
    assert set(codes) == {"data.sign_provider", "data.accept_terms"}
    assert codes["data.sign_provider"].actor_ids == {chair.pk, secretary.pk}


def test_a_refusal_waits_for_the_recipients_acknowledgement_overdue_after_seven_days(world):
    ack = RefusalAcknowledgement.objects.filter(refusal=world["refusal"]).first()
    [item] = [i for i in SOURCE.about(request_ids=[ack.agreement.request_id]) if i.key.endswith(f":{ack.pk}")]
    assert item.actor == NextActor.RECIPIENT
    assert item.due == timezone.localdate(ack.notified_at) + timedelta(days=7)
    [handle] = SOURCE.about(protocol_ids=world["protocol_ids"])
    assert handle.actor == NextActor.PROVIDER
    assert handle.protocol_id == world["protocol_ids"][0]
