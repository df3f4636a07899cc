from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProtocolsConfig(AppConfig):
    name = "research_governance.protocols"
    label = "protocols"
    verbose_name = _("Protocols")

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (connects the post_migrate receiver)
