"""The automatic checks of a request, with reasons and rule IDs: the intended use against each
dataset's consent scope (DUO), provision to another institution (JP-IC-08), pseudonymously
processed information, foreign recipients (JP-IC-09, XB-01, XB-02) and the datasets' approvals.

(Placeholder until rules.duo and rules.provision land.)"""

from typing import Any

from .models import DataAccessRequest


def assess_request(data_request: DataAccessRequest) -> dict[str, Any]:
    return {"permitted": True, "checks": [], "unmet": [], "obligations": []}
