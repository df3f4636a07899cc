from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "research_governance.core"
    label = "core"
    verbose_name = _("General")

    def ready(self) -> None:
        from .site import check_site_url

        checks.register(check_site_url)
