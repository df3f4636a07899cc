from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "research_governance.letters"
    label = "letters"
    verbose_name = _("Decision letters")

    def ready(self) -> None:
        # The review engine sits below letters: it calls up through its hook when a decision,
        # a permission or a refusal is recorded.
        from research_governance.reviews.hooks import letters_due

        from .services import queue_letters

        letters_due.register(queue_letters)
