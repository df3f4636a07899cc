from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReviewsConfig(AppConfig):
    name = "research_governance.reviews"
    label = "reviews"
    verbose_name = _("Reviews")

    def ready(self) -> None:
        from research_governance.core.work import register_source

        from .next_steps import EthicsWork

        register_source(EthicsWork())
