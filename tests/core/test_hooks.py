"""A lower layer calls up through a Hook; a hook nobody registered on is an error, not a no-op."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from research_governance.core import hooks


def test_a_hook_without_a_receiver_refuses_to_be_called():
    hook = hooks.Hook("test.unwired", provided_by="the tests")
    try:
        with pytest.raises(ImproperlyConfigured, match=r"test\.unwired"):
            hook(value=1)
        assert any(error.id == "core.E001" for error in hooks.check_hooks_have_receivers())
    finally:
        hooks._declared.remove(hook)


def test_a_hook_calls_each_receiver_once_with_the_callers_arguments():
    hook = hooks.Hook("test.wired", provided_by="the tests")
    try:
        seen = []
        receiver = hook.register(lambda *, value: seen.append(value) or value * 2)
        hook.register(receiver)
        assert hook(value=21) == [42]
        assert seen == [21]
    finally:
        hooks._declared.remove(hook)


def test_every_declared_hook_of_the_project_has_a_receiver():
    assert [hook.name for hook in hooks.declared_hooks() if not hook.receivers] == []
