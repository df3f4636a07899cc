from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LettersConfig(AppConfig):
    name = "research_governance.letters"
    label = "letters"
    verbose_name = _("Decision letters")
