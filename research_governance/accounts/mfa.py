"""Who must use a second factor (SEC-02), and whether they have one."""

import base64
import hashlib
import hmac
import struct
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import encrypt, is_mfa_enabled
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache

from research_governance.core.hooks import Hook

from .models import User
from .selectors import user_roles

# The authenticators that count as a second factor at sign-in (recovery codes are a fallback).
SECOND_FACTORS = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]

# Seats kept by an app above accounts make their holder privileged too (a current committee
# seat). That app answers ``receiver(*, user) -> bool`` here and has the gate forgotten when a
# seat changes (``signals.forget_gate_on_changes_to``), both in its AppConfig.ready().
holds_privileged_seat = Hook("accounts.holds_privileged_seat", provided_by="committees")


def mfa_required(user: User | AnonymousUser) -> bool:
    """SEC-02: privileged roles, current committee seats and admin staff must use a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    if user_roles(user) & set(settings.MFA_REQUIRED_ROLES):
        return True
    return any(holds_privileged_seat(user=user))


def has_second_factor(user: User | AnonymousUser) -> bool:
    """An authenticator app or a security key is set up: allauth then asks for it at sign-in."""
    return user.is_authenticated and is_mfa_enabled(user, SECOND_FACTORS)


# Once a user is found to need nothing more (not privileged, or with a second factor), that is
# remembered in the cache for a minute, so pages do not pay a query for it each time. Any change
# to their roles, seats, staff status or authenticators forgets it at once (signals.py); only a
# term starting or ending by the calendar, or a bulk update, waits for the minute to pass.
GATE_CACHE_SECONDS = 60


def _gate_key(user_id: int) -> str:
    return f"accounts:mfa-gate:{user_id}"


def must_set_up_second_factor(user: User | AnonymousUser) -> bool:
    """SEC-02: the user must set up a second factor before reaching anything else."""
    if not user.is_authenticated:
        return False
    key = _gate_key(user.pk)
    if cache.get(key):
        return False
    must = mfa_required(user) and not has_second_factor(user)
    if not must:
        cache.set(key, 1, GATE_CACHE_SECONDS)
    return must


def forget_gate(user_id: int) -> None:
    cache.delete(_gate_key(user_id))


def provision_totp(user: User, secret: str, *, recovery_codes: bool = False) -> Authenticator:
    """Installs an authenticator app's secret for ``user``, as allauth's activation page does.

    For demo data and tests only: people set theirs up on that page (recorded in the audit
    trail), where they prove with a code that their app holds the secret."""
    authenticator = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": encrypt(secret)}
    )
    if recovery_codes:
        RecoveryCodes.activate(user)
    return authenticator


def totp_code(secret: str, *, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` now (RFC 6238: SHA-1, 30 s, 6 digits)."""
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(base64.b32decode(secret, casefold=True), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"
