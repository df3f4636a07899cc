"""Calls from a lower layer up to a higher one.

Imports point down (kernel <- domain <- oversight <- portal <- demo; docs/architecture.md, held by
the import-linter contracts in pyproject.toml). When a lower app must make something happen in a higher one (a recorded
decision queues its letters, a suspended approval suspends the agreements that depend on it), the
lower app declares a ``Hook`` and calls it; the higher app registers its receiver in
``AppConfig.ready()``.

A hook without a receiver is a wiring error, never a silent no-op: calling it raises
``ImproperlyConfigured``, and ``manage.py check`` (run by every management command and by the
test suite's start-up) reports it before anything is served.
"""

from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

Receiver = Callable[..., Any]

_declared: list["Hook"] = []


class Hook:
    """A named call point with one or more receivers, registered at start-up."""

    def __init__(self, name: str, *, provided_by: str) -> None:
        # ``provided_by`` names the app expected to register, for the error message.
        self.name = name
        self.provided_by = provided_by
        self._receivers: list[Receiver] = []
        _declared.append(self)

    def register(self, receiver: Receiver) -> Receiver:
        """Add a receiver (idempotent: ``ready()`` may run more than once in tests)."""
        if receiver not in self._receivers:
            self._receivers.append(receiver)
        return receiver

    @property
    def receivers(self) -> tuple[Receiver, ...]:
        return tuple(self._receivers)

    def __call__(self, **kwargs: Any) -> list[Any]:
        """Call every receiver with the same keyword arguments; their results in order."""
        if not self._receivers:
            raise ImproperlyConfigured(
                f"Nothing is registered on the hook {self.name!r}; {self.provided_by} registers it in its "
                "AppConfig.ready(). Is that app in INSTALLED_APPS?"
            )
        return [receiver(**kwargs) for receiver in self._receivers]

    def __repr__(self) -> str:
        return f"Hook({self.name!r})"


def declared_hooks() -> tuple[Hook, ...]:
    return tuple(_declared)


@checks.register()
def check_hooks_have_receivers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if not apps.ready:
        return []
    return [
        checks.Error(
            f"Nothing is registered on the hook {hook.name!r}.",
            hint=f"{hook.provided_by} registers it in its AppConfig.ready().",
            id="core.E001",
        )
        for hook in _declared
        if not hook.receivers
    ]
