"""Receivers for sign-in events: the idle clock starts at sign-in, and second factors being
added or removed are recorded in the audit trail (SEC-02)."""

from typing import Any

from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.committees.models import CommitteeMembership

from .mfa import forget_gate
from .middleware import stamp_activity
from .models import RoleMembership, User


@receiver(user_logged_in, dispatch_uid="accounts.stamp_activity_at_sign_in")
def _stamp_activity_at_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp_activity(request)


def _record(request: HttpRequest | None, user: User, authenticator: Authenticator, *, action: AuditAction) -> None:
    actor = getattr(request, "user", None) if request is not None else None
    if actor is None or not actor.is_authenticated:
        actor = user
    with transaction.atomic():
        audit_record(actor=actor, action=action, target=user, data={"type": authenticator.type})


@receiver(mfa_signals.authenticator_added, dispatch_uid="accounts.audit_authenticator_added")
def _authenticator_added(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_ADDED)


@receiver(mfa_signals.authenticator_removed, dispatch_uid="accounts.audit_authenticator_removed")
def _authenticator_removed(
    sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any
) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_REMOVED)


@receiver(mfa_signals.authenticator_reset, dispatch_uid="accounts.audit_authenticator_reset")
def _authenticator_reset(sender: Any, request: HttpRequest, user: User, authenticator: Authenticator, **_: Any) -> None:
    _record(request, user, authenticator, action=AuditAction.ACCOUNT_MFA_RECOVERY_CODES_REGENERATED)


def _forget_gate(sender: Any, instance: Any, **_: Any) -> None:
    """Whether someone must set up a second factor is worked out again after any change to it."""
    forget_gate(instance.pk if isinstance(instance, User) else instance.user_id)


for _model in (Authenticator, RoleMembership, CommitteeMembership, User):
    post_save.connect(_forget_gate, sender=_model, dispatch_uid=f"accounts.forget_gate_save_{_model.__name__}")
    post_delete.connect(_forget_gate, sender=_model, dispatch_uid=f"accounts.forget_gate_delete_{_model.__name__}")
