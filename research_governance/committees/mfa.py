"""The roster's part in SEC-02: a current committee seat requires a second factor, even without
a privileged role. Registered on accounts' hook in CommitteesConfig.ready (accounts sits below)."""

from research_governance.accounts.models import User

from .models import CommitteeMembership


def holds_current_seat(*, user: User) -> bool:
    return CommitteeMembership.objects.filter(CommitteeMembership.current_q(), user_id=user.pk).exists()
