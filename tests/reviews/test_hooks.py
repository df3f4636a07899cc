"""The review engine calls up to letters and agreements only through its hooks; each is wired
at start-up to the receiver of the app above it."""

from research_governance.agreements import cascade_services as cascade
from research_governance.core.hooks import declared_hooks
from research_governance.letters.services import queue_letters
from research_governance.reviews import hooks


def test_each_hook_of_the_review_engine_has_the_receiver_of_the_app_above_it():
    assert hooks.letters_due.receivers == (queue_letters,)
    assert hooks.approvals_lapsed.receivers == (cascade.approvals_lapsed,)
    assert hooks.amendment_in_force.receivers == (cascade.amendment_in_force,)


def test_the_hooks_are_declared_so_that_manage_py_check_reports_a_missing_receiver():
    assert {hooks.letters_due, hooks.approvals_lapsed, hooks.amendment_in_force} <= set(declared_hooks())
