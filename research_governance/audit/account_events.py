"""Second factors added, removed or their recovery codes regenerated, recorded in the audit
trail (SEC-02). allauth sends the signals; connected by importing this module in AuditConfig.ready."""

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest

from research_governance.accounts.models import User

from .actions import AuditAction
from .services import audit_record


def _record(request: HttpRequest | None, user: User, authenticator: Authenticator, *, action: AuditAction) -> None:
    actor = getattr(request, "user", None) if request is not None else None
    if actor is None or not actor.is_authenticated:
        actor = user
    with transaction.atomic():
        audit_record(actor=actor, action=action, target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_added, dispatch_uid="audit.authenticator_added")
def _authenticator_added(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_ADDED)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="audit.authenticator_removed")
def _authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any
) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_REMOVED)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="audit.authenticator_reset")
def _authenticator_reset(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_RECOVERY_CODES_REGENERATED)
