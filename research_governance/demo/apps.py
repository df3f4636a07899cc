from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (`manage.py seed_demo`, `manage.py demo_totp`). The top layer: it may import
    every app, and nothing imports it."""

    name = "research_governance.demo"
    label = "demo"
