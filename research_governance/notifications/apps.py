from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "research_governance.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from research_governance.accounts.models import RoleMembership, User

        from .inbox import rebuild_on_changes_to

        for model in (RoleMembership, User):
            rebuild_on_changes_to(model)
