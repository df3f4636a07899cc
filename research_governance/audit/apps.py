from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "research_governance.audit"
    label = "audit"
    verbose_name = _("Audit")

    def ready(self) -> None:
        from django.contrib.auth import signals

        from . import access, account_events  # noqa: F401  (account_events connects its receivers)

        # The access log (SEC-04); allauth signs people in and out through Django's auth.
        signals.user_logged_in.connect(access.signed_in, dispatch_uid="audit_access_signed_in")
        signals.user_logged_out.connect(access.signed_out, dispatch_uid="audit_access_signed_out")
        signals.user_login_failed.connect(access.sign_in_failed, dispatch_uid="audit_access_sign_in_failed")
