from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The site-wide pages: the home page, the menu and the rulebook page. Above oversight, since
    the menu links every app's pages; only the demo sits higher."""

    name = "research_governance.portal"
    label = "portal"
