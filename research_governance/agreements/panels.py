"""What the request page shows beside the request itself: one function per area, each returning
the context of its own partial template (templates/agreements/panels/<name>.html), or None when
it has nothing to show the user. The request page renders them in this order."""

from collections.abc import Callable
from typing import Any

from research_governance.accounts.models import User

from .models import DataAccessRequest

Panel = Callable[[User, DataAccessRequest], dict[str, Any] | None]


def _registry() -> list[tuple[str, Panel]]:
    # Imported here so each area's module can import the models and permissions freely.
    from . import dac_selectors, records_services, refusal_services

    return [
        ("review", dac_selectors.panel),
        ("agreement", dac_selectors.agreement_panel),
        ("records", records_services.panel),
        ("refusals", refusal_services.panel),
    ]


def request_panels(user: User, data_request: DataAccessRequest) -> list[tuple[str, dict[str, Any]]]:
    """(template name, context) for every panel the user may see."""
    shown = []
    for name, panel in _registry():
        context = panel(user, data_request)
        if context is not None:
            shown.append((f"agreements/panels/{name}.html", context))
    return shown
