"""Who is conflicted on a subject, and why: one rule for both committees.

A member on the team (the study's investigators; for a data-access request, the requesting team
and the providing study's team) is conflicted whatever they declare (JP-ERC-07); a member who
declared a conflict is conflicted (US-IRB-03). A conflicted member reviews nothing of it and takes
no part in its decision."""

from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from research_governance.accounts.models import User
from research_governance.reviews.workflow import TransitionRefused

if TYPE_CHECKING:
    from .subject import ReviewSubject

ON_TEAM = "JP-ERC-07"
DECLARED = "US-IRB-03"


def conflict_reason(*, on_team: bool, declarations: QuerySet[Any]) -> str:
    """The rule that conflicts a member ("" when none). ``declarations``: the member's declarations
    on the subject, read only when the member is not on the team."""
    if on_team:
        return ON_TEAM
    if declarations.filter(has_conflict=True).exists():
        return DECLARED
    return ""


def refuse_conflicted(subject: "ReviewSubject", user: User) -> None:
    """A member with a conflict takes no part in the decision or its conditions (JP-ERC-07, US-IRB-03)."""
    rule = subject.conflict_reason(user)
    if rule:
        raise TransitionRefused(str(subject.rules.messages.decider_conflicted) % {"rule": rule})
