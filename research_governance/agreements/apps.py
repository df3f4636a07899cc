from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "research_governance.agreements"
    label = "agreements"
    verbose_name = _("Data sharing")

    def ready(self) -> None:
        # The review engine sits below agreements: it calls up through its hooks when approvals
        # lapse or an amendment comes into force, in its own transaction.
        from research_governance.core.work import register_source
        from research_governance.reviews.hooks import amendment_in_force, approvals_lapsed

        from . import cascade_services as cascade
        from .next_steps import DataAccessWork

        approvals_lapsed.register(cascade.approvals_lapsed)
        amendment_in_force.register(cascade.amendment_in_force)
        # Who acts next on a request, an agreement or a refusal (core.work).
        register_source(DataAccessWork())
