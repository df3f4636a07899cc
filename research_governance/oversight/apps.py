from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OversightConfig(AppConfig):
    name = "research_governance.oversight"
    label = "oversight"
    verbose_name = _("Oversight")

    def ready(self) -> None:
        from research_governance.core.work import register_source

        from .next_steps import OversightWork

        register_source(OversightWork())
