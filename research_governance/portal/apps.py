from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The site-wide pages: the home page, the menu and the rulebook page. Above oversight, since
    the menu links every app's pages; only the demo sits higher."""

    name = "research_governance.portal"
    label = "portal"

    def ready(self) -> None:
        from django.test.signals import setting_changed

        from .context_processors import forget_addresses
        from .templatetags.layout import forget_static_files

        # What the layout finds once per process depends on these settings, which tests change.
        setting_changed.connect(forget_addresses, dispatch_uid="portal.forget_addresses")
        setting_changed.connect(forget_static_files, dispatch_uid="portal.forget_static_files")
