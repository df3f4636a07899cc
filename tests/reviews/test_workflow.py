"""Walk the whole workflow table: every declared transition is reachable, every
state is reachable, and actions outside the table are refused with a reason."""

import pytest

from research_governance.protocols.models import EDITABLE_STATUSES, ProtocolStatus
from research_governance.reviews.workflow import (
    APPROVING_OUTCOMES,
    DECISION_PROTOCOL_STATUS,
    KIND_RULES,
    REPORT_KINDS,
    TRANSITIONS,
    WORKFLOWS,
    Actor,
    ApprovalStatus,
    DecisionOutcome,
    SubmissionKind,
    SubmissionStatus,
    TransitionRefused,
    allowed_actions,
    transition_for,
)


def test_every_transition_targets_a_declared_state_and_has_an_audit_action():
    for transition in TRANSITIONS:
        assert transition.target in SubmissionStatus.values
        assert transition.sources <= {"", *SubmissionStatus.values}
        assert "." in transition.audit_action
        assert str(transition.refused_reason)


def test_every_state_is_reachable_from_a_new_submission():
    reached = {""}
    frontier = [""]
    while frontier:
        state = frontier.pop()
        for transition in allowed_actions(state, set(Actor)):
            if transition.target not in reached:
                reached.add(transition.target)
                frontier.append(transition.target)
    assert reached - {""} == set(SubmissionStatus.values)


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action)
def test_each_action_is_refused_from_every_state_it_does_not_start_from(transition):
    for state in {"", *SubmissionStatus.values} - transition.sources:
        with pytest.raises(TransitionRefused):
            transition_for(transition.action, state, set(Actor))


@pytest.mark.parametrize("transition", TRANSITIONS, ids=lambda t: t.action)
def test_each_action_is_refused_to_actors_not_named_for_it(transition):
    others = set(Actor) - transition.actors
    source = next(iter(transition.sources))
    with pytest.raises(TransitionRefused):
        transition_for(transition.action, source, others)
    assert transition_for(transition.action, source, set(transition.actors)) is transition


def _all_transitions():
    return [(states, t) for _title, states, table in WORKFLOWS for t in table]


@pytest.mark.parametrize(
    ("states", "transition"), _all_transitions(), ids=lambda v: getattr(v, "action", getattr(v, "__name__", ""))
)
def test_every_table_of_decisions_conditions_permission_and_approval_is_walked(states, transition):
    table = next(table for _title, _states, table in WORKFLOWS if transition in table)
    assert transition.target in states.values
    assert transition.sources <= {"", *states.values}
    assert "." in transition.audit_action
    for state in {"", *states.values} - transition.sources:
        with pytest.raises(TransitionRefused):
            transition_for(transition.action, state, set(Actor), table)
    source = next(iter(transition.sources))
    with pytest.raises(TransitionRefused):
        transition_for(transition.action, source, set(Actor) - transition.actors, table)
    assert transition_for(transition.action, source, set(transition.actors), table) is transition


def test_every_outcome_has_a_protocol_status_under_each_rule_set_jp_erc_13():
    # Only the initial application moves the protocol's status; its outcomes are all mapped.
    for outcome in KIND_RULES[SubmissionKind.INITIAL].outcomes:
        for rule_set in ("JP", "US"):
            assert DECISION_PROTOCOL_STATUS[(outcome, rule_set)] in ProtocolStatus.values
    assert DECISION_PROTOCOL_STATUS[("approve", "JP")] == ProtocolStatus.AWAITING_PERMISSION
    assert DECISION_PROTOCOL_STATUS[("approve", "US")] == ProtocolStatus.APPROVED
    assert {ProtocolStatus.DRAFT, ProtocolStatus.RETURNED} == EDITABLE_STATUSES


def test_every_kind_of_submission_goes_through_the_one_engine_with_its_rules_declared():
    assert set(KIND_RULES) == set(SubmissionKind.values)
    for rules in KIND_RULES.values():
        assert set(rules.outcomes) <= set(DecisionOutcome.values)
        assert DecisionOutcome.REVISE in rules.outcomes
    # Only the initial application moves the protocol's status or can be judged not applicable.
    assert [kind for kind, rules in KIND_RULES.items() if rules.moves_protocol] == [SubmissionKind.INITIAL]


def test_reports_are_acknowledged_not_approved_and_need_a_live_approval_jp_r_01_02_04_07():
    for kind in REPORT_KINDS:
        rules = KIND_RULES[kind]
        assert DecisionOutcome.ACKNOWLEDGE in rules.outcomes
        assert not set(rules.outcomes) & APPROVING_OUTCOMES
        assert rules.approval_statuses == {ApprovalStatus.ACTIVE, ApprovalStatus.SUSPENDED}
        assert not rules.head_permits
    assert {KIND_RULES[kind].rule for kind in REPORT_KINDS} == {"JP-R-01", "JP-R-02", "JP-R-04", "JP-R-07"}


def test_only_a_serious_adverse_event_is_urgent_and_only_the_final_report_closes_jp_r_02_jp_r_07():
    assert [kind for kind, rules in KIND_RULES.items() if rules.urgent] == [SubmissionKind.SAFETY_REPORT]
    assert [kind for kind, rules in KIND_RULES.items() if rules.closes_approval] == [SubmissionKind.FINAL_REPORT]


def test_an_amendment_needs_an_active_approval_and_under_jp_the_head_s_permission_jp_erc_13():
    rules = KIND_RULES[SubmissionKind.AMENDMENT]
    assert rules.carries_version
    assert rules.head_permits
    assert rules.approval_statuses == {ApprovalStatus.ACTIVE}
    assert DecisionOutcome.NOT_APPLICABLE not in rules.outcomes
