"""Receivers for sign-in events: the idle clock starts at sign-in, and whether someone must set
up a second factor is worked out again after any change to it (SEC-02). The audit trail of
second factors added or removed is the audit app's (audit/account_events.py)."""

from typing import Any

from allauth.mfa.models import Authenticator
from django.contrib.auth.signals import user_logged_in
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest

from .mfa import forget_gate
from .middleware import stamp_activity
from .models import RoleMembership, User


@receiver(user_logged_in, dispatch_uid="accounts.stamp_activity_at_sign_in")
def _stamp_activity_at_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        stamp_activity(request)


def _forget_gate(sender: Any, instance: Any, **_: Any) -> None:
    """Whether someone must set up a second factor is worked out again after any change to it."""
    forget_gate(instance.pk if isinstance(instance, User) else instance.user_id)


def forget_gate_on_changes_to(model: type[models.Model]) -> None:
    """Any save or delete of a ``model`` row (one with a ``user`` foreign key, or a User) makes
    its user's second-factor gate be worked out again; for the seats of ``mfa.holds_privileged_seat``."""
    post_save.connect(_forget_gate, sender=model, dispatch_uid=f"accounts.forget_gate_save_{model.__name__}")
    post_delete.connect(_forget_gate, sender=model, dispatch_uid=f"accounts.forget_gate_delete_{model.__name__}")


for _model in (Authenticator, RoleMembership, User):
    forget_gate_on_changes_to(_model)
