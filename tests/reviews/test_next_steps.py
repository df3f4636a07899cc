"""Who must act next in the ethics review: every state names its steps or is terminal, and the
finders agree with themselves, stay within the institution and run a few queries."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from research_governance.accounts.models import Role, RoleMembership
from research_governance.committees.models import Committee
from research_governance.core.work import NextActor, declared_steps, home_order
from research_governance.reviews import services
from research_governance.reviews.meeting import services as meeting_services
from research_governance.reviews.models import Condition
from research_governance.reviews.next_steps import EthicsWork
from research_governance.reviews.workflow import WORKFLOWS
from tests.factories import PASSWORD, InstitutionFactory, UserFactory, make_complete, make_draft
from tests.reviews.decisions_support import DUE, accepted, make_committee, seat
from tests.reviews.meeting.support import accepted_full_board

WORK = EthicsWork()


def test_every_state_of_every_reviews_workflow_has_steps_or_is_terminal():
    declared = {(row.workflow, str(row.state)): row for row in declared_steps()}
    for name, states, _transitions in WORKFLOWS:
        for state in states.values:
            row = declared.get((name, state))
            assert row is not None, f"{name} / {state} names no next step and is not terminal"
            assert bool(row.steps) != bool(row.terminal)


def test_every_step_says_who_acts_what_others_see_and_when_it_is_due():
    for row in declared_steps():
        for step in row.steps:
            assert step.label, step.code
            assert step.waiting, step.code
            assert step.due_rule, step.code


def _world(pi, secretariat, chair, head):
    """Institution A with an item at every step; institution B with a submission of its own."""
    committee = make_committee()
    make_draft(pi)
    services.protocol_submit(protocol=make_complete(pi), by=pi)
    returned = services.protocol_submit(protocol=make_complete(pi), by=pi)
    services.submission_return(submission=returned, by=secretariat, requests=["Explain.", "Attach."])
    under_review = accepted(pi, secretariat, committee, reviewed=False)
    services.reviewer_assign(submission=under_review, by=secretariat, reviewer=seat(committee), due_date=DUE)
    accepted(pi, secretariat, committee)  # reviews in: the chair decides
    services.submission_accept(
        submission=services.protocol_submit(protocol=make_complete(pi), by=pi), by=secretariat, route="expedited"
    )  # no reviewer yet
    conditional = accepted(pi, secretariat, committee)
    decision = services.decision_record(
        submission=conditional, by=secretariat, outcome="approve_with_conditions", reasons="", conditions=["A", "B"]
    )
    first = Condition.objects.get(decision=decision, number=1)
    services.condition_answer(condition=first, by=pi, response="Done.")
    signed = services.decision_record(
        submission=accepted(pi, secretariat, committee),
        by=secretariat,
        outcome="approve_with_conditions",
        reasons="",
        conditions=["C"],
    )
    only = Condition.objects.get(decision=signed)
    services.condition_answer(condition=only, by=pi, response="Done.")
    services.condition_sign_off(condition=only, by=chair, meaning="approval", password=PASSWORD)
    full_board = accepted_full_board(pi, secretariat)
    member = seat(committee)
    meeting = meeting_services.meeting_schedule(
        committee=committee, by=secretariat, scheduled_at=timezone.now() + timedelta(days=3), location="Room 1"
    )
    meeting_services.agenda_add(meeting=meeting, by=secretariat, submission=accepted_full_board(pi, secretariat))

    other = InstitutionFactory(code="other-university", name_ja="他大学", name_en="Other University")
    pi_b = UserFactory(institution=other)
    officers_b = [UserFactory(institution=other, roles=[role]) for role in (Role.SECRETARIAT, Role.CHAIR, Role.HEAD)]
    services.protocol_submit(protocol=make_complete(pi_b), by=pi_b)
    return {
        "committee": committee,
        "full_board": full_board,
        "member": member,
        "pi_b": pi_b,
        "officers_b": officers_b,
        "other": other,
    }


@pytest.mark.django_db
def test_for_user_and_about_agree_on_a_world_of_two_institutions(pi, secretariat, chair, head):
    world = _world(pi, secretariat, chair, head)
    from research_governance.protocols.models import Protocol

    everything = WORK.about(protocol_ids=Protocol.objects.values_list("pk", flat=True))
    codes = {item.step.code for item in everything}
    assert {
        "ethics.submit_draft",
        "ethics.prescreen",
        "ethics.answer_requests",
        "ethics.assign",
        "ethics.review",
        "ethics.decide",
        "ethics.answer_condition",
        "ethics.sign_off",
        "ethics.permit",
        "ethics.agenda",
        "ethics.meeting",
    } <= codes
    assert len({item.key for item in everything}) == len(everything), "a key names one occurrence"
    people = {pi, secretariat, chair, head, world["member"], world["pi_b"], *world["officers_b"]}
    for person in people:
        mine = {item.key for item in WORK.for_user(person)}
        assert mine == {item.key for item in everything if person.pk in item.actor_ids}, person.email


@pytest.mark.django_db
def test_officers_of_another_institution_get_nothing_of_this_one(pi, secretariat, chair, head):
    world = _world(pi, secretariat, chair, head)
    for officer in world["officers_b"]:
        assert {item.institution_id for item in WORK.for_user(officer)} <= {world["other"].pk}
    secretariat_b = world["officers_b"][0]
    assert [item.step.code for item in WORK.for_user(secretariat_b)] == ["ethics.prescreen"]
    assert all(item.institution_id != world["other"].pk for item in WORK.for_user(secretariat))


@pytest.mark.django_db
def test_the_head_is_not_offered_a_permission_whose_conditions_are_unsigned(pi, secretariat, chair, head):
    _world(pi, secretariat, chair, head)
    permits = [item for item in WORK.for_user(head) if item.step.code == "ethics.permit"]
    # The decision with one answered and one open condition waits; the one signed off does not.
    assert len(permits) == 1


def _decide_more(pi, secretariat, committee, n):
    for _ in range(n):
        more = accepted(pi, secretariat, committee)
        services.decision_record(
            submission=more, by=secretariat, outcome="approve_with_conditions", reasons="", conditions=["X", "Y"]
        )


def _queries(person) -> int:
    with CaptureQueriesContext(connection) as counted:
        WORK.for_user(person)
    return len(counted)


@pytest.mark.django_db
def test_a_users_work_takes_a_few_queries_however_many_items(pi, secretariat, chair, head):
    committee = _world(pi, secretariat, chair, head)["committee"]
    people = (pi, secretariat, chair, head)
    _decide_more(pi, secretariat, committee, 1)
    for person in people:
        _queries(person)  # the user's roles are read once, then kept on the user
    few = {person: _queries(person) for person in people}
    _decide_more(pi, secretariat, committee, 3)
    assert {person: _queries(person) for person in people} == few


def _page_of(items, limit):
    ordered = sorted(items, key=home_order)
    return [(item.key, item.actor) for item in ordered[:limit]]


@pytest.mark.django_db
def test_a_page_and_a_count_from_sql_agree_with_every_item_built(pi, secretariat, chair, head):
    """The home asks each finder for its first items and its count only (``first_for``,
    ``count_for``); they must be exactly the first of everything ``for_user`` builds, in the
    home's order, for every person, at every page size."""
    world = _world(pi, secretariat, chair, head)
    committee = world["committee"]
    # More than a page of some steps, and reports to acknowledge.
    for _ in range(3):
        services.protocol_submit(protocol=make_complete(pi), by=pi)
    deviation = {
        "occurred_on": timezone.localdate(),
        "became_aware_on": timezone.localdate(),
        "serious": False,
        "summary": "Late visit.",
        "actions_taken": "-",
    }
    approve = services.decision_record(
        submission=accepted(pi, secretariat, committee), by=secretariat, outcome="approve", reasons="Fine."
    )
    services.head_permit(decision=approve, by=head)
    for _ in range(2):
        report = services.report_submit(protocol=approve.submission.protocol, by=pi, kind="deviation", data=deviation)
        services.submission_accept(submission=report, by=secretariat, route="expedited")
    # Someone who chairs institution A and runs the secretariat of B: their chair's steps at B
    # come under "As the secretariat", before their steps as the chair.
    both = UserFactory(email="both@test.example", roles=[Role.CHAIR])
    RoleMembership.objects.create(user=both, institution=world["other"], role=Role.SECRETARIAT)
    pi_b = world["pi_b"]
    secretariat_b = world["officers_b"][0]
    committee_b = Committee.objects.create(
        institution=world["other"], code="erc-b", name_ja="委員会B", name_en="Committee B", kind="ethics", rule_set="JP"
    )
    accepted(pi_b, secretariat_b, committee_b)
    people = {pi, secretariat, chair, head, both, world["member"], pi_b, *world["officers_b"]}
    for person in people:
        person.refresh_from_db()
        built = WORK.for_user(person)
        assert WORK.count_for(person) == len(built), person.email
        for limit in (0, 1, 2, 3, 5, 100):
            page = WORK.first_for(person, limit)
            assert page.total == len(built), person.email
            assert [(item.key, item.actor) for item in page.items] == _page_of(built, limit), (person.email, limit)
    codes = {item.step.code for item in WORK.for_user(secretariat)}
    assert {"ethics.acknowledge", "ethics.assign", "ethics.decide", "ethics.prescreen"} <= codes
    actors_of_both = {item.actor for item in WORK.for_user(both)}
    assert {NextActor.SECRETARIAT, NextActor.CHAIR} <= actors_of_both


@pytest.mark.django_db
def test_a_page_of_a_secretariats_work_takes_the_same_queries_for_many_pre_screens(pi, secretariat):
    for _ in range(2):
        services.protocol_submit(protocol=make_complete(pi), by=pi)
    secretariat.refresh_from_db()
    WORK.first_for(secretariat, 25)

    def counted() -> int:
        with CaptureQueriesContext(connection) as queries:
            page = WORK.first_for(secretariat, 2)
        assert len(page.items) == 2
        return len(queries)

    few = counted()
    for _ in range(4):
        services.protocol_submit(protocol=make_complete(pi), by=pi)
    assert counted() == few
    assert WORK.first_for(secretariat, 2).total == 6
