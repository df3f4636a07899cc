from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommitteesConfig(AppConfig):
    name = "research_governance.committees"
    label = "committees"
    verbose_name = _("Committees")

    def ready(self) -> None:
        from research_governance.accounts import mfa, signals
        from research_governance.notifications import inbox

        from .mfa import holds_current_seat
        from .models import CommitteeMembership

        # SEC-02: a seat requires a second factor; a new or ended seat takes effect at once.
        mfa.holds_privileged_seat.register(holds_current_seat)
        signals.forget_gate_on_changes_to(CommitteeMembership)
        # Seats decide who attends, votes and acts for a data access committee.
        inbox.rebuild_on_changes_to(CommitteeMembership)
