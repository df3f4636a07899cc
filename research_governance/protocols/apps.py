from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    name = "research_governance.protocols"
    label = "protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        from research_governance.audit import access

        from . import permissions  # connects the post_migrate receiver

        # SEC-04: the access log records views of a protocol from outside its team.
        access.on_protocol_team.register(permissions.is_on_team)
