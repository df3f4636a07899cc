"""(placeholder: filled by its area)"""

from typing import Any

from research_governance.accounts.models import User

from .models import DataAccessRequest


def panel(user: User, data_request: DataAccessRequest) -> dict[str, Any] | None:
    return None
