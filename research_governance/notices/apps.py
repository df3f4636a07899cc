from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "research_governance.notices"
    label = "notices"
    verbose_name = _("Public notices")

    def ready(self) -> None:
        from research_governance.agreements import refusal_services as refusals

        from .selectors import has_public_notice

        # JP-IC-10: the refusal service accepts the public form only for a study whose notice is public.
        refusals.has_public_notice.register(has_public_notice)
