"""Writing audit events. Every service that changes state calls ``audit_record``
inside its own transaction, so the event and the change commit or fail together."""

import hashlib
import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from .actions import AuditAction
from .models import AuditEvent

GENESIS_HASH = "0" * 64
SECRET_KEY_PARTS = ("password", "secret", "token", "key", "otp")
# Any constant works; it names the one lock that serialises appends to the chain.
_CHAIN_LOCK_ID = 0x52470001


def mask_secrets(data: Any) -> Any:
    """Replace the values of secret-looking keys, at any depth."""
    if isinstance(data, dict):
        return {
            key: "***" if any(part in str(key).lower() for part in SECRET_KEY_PARTS) else mask_secrets(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [mask_secrets(item) for item in data]
    return data


# One encoder, built once: json.dumps with options builds a new encoder on every call, which
# dominates the cost of verifying a long chain. Same output as json.dumps with these options.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


# What the encoder does with a string (ensure_ascii=False): JSON-quote it, keeping non-ASCII text.
_string = json.encoder.encode_basestring


def canonical_json(data: Any) -> str:
    return _CANONICAL.encode(data)


def event_hash(
    *,
    previous_hash: str,
    occurred_at: str,
    actor_id: int | None,
    action: str,
    target_type: str,
    target_id: str,
    data: Any,
) -> str:
    """SHA-256 of the canonical JSON of the event:
    ``canonical_json({"previous_hash": ..., "occurred_at": ..., "actor_id": ..., "action": ...,
    "target_type": ..., "target_id": ..., "data": ...})``.

    Written out by hand, keys in sorted order, because verify_audit hashes a million of these:
    the same bytes as the dict above through ``canonical_json`` (tests/audit/test_services.py
    checks it), in half the time."""
    payload = "".join(
        (
            '{"action":',
            _string(action),
            ',"actor_id":',
            "null" if actor_id is None else str(int(actor_id)),
            ',"data":',
            _CANONICAL.encode(data),
            ',"occurred_at":',
            _string(occurred_at),
            ',"previous_hash":',
            _string(previous_hash),
            ',"target_id":',
            _string(target_id),
            ',"target_type":',
            _string(target_type),
            "}",
        )
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _lock_chain() -> None:
    # Appends are serialised so the chain never forks. SQLite serialises writers anyway.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_ID])


# The relations followed to find the institution an event belongs to, nearest first: a site or a
# dataset belongs to its protocol's institution whatever institution it names itself.
_OWNER_PATH = (
    "protocol",
    "committee",
    "meeting",
    "agenda_item",
    "submission",
    "decision",
    "assignment",
    "agreement",
    "request",
    "refusal",
)


def owning_institution_id(target: models.Model, depth: int = 5) -> int | None:
    """The institution the target's records belong to (a user's account: the user's institution).

    Follows the relations already loaded on the objects (services lock their rows with the
    related rows they need), and reads one row per step otherwise."""
    for name in _OWNER_PATH:
        field = next((f for f in target._meta.concrete_fields if f.name == name and f.is_relation), None)
        if field is not None and getattr(target, field.attname) is not None and depth > 0:
            return owning_institution_id(getattr(target, name), depth - 1)
    institution_id = getattr(target, "institution_id", None)
    if institution_id is None and target.pk is not None and "institution_id" in target.__dict__:
        # A stand-in carrying only its id: read the one column.
        institution_id = (
            type(target)._base_manager.filter(pk=target.pk).values_list("institution_id", flat=True).first()
        )
    return institution_id if isinstance(institution_id, int) else None


def _event_institution_id(target: models.Model, protocol: models.Model | None) -> int | None:
    # The protocol, when the event names one, owns it (a reviewer assigned: the target is a user);
    # a stand-in protocol carrying only its id is read only when the target does not tell.
    if protocol is not None and getattr(protocol, "institution_id", None) is not None:
        return owning_institution_id(protocol)
    found = owning_institution_id(target)
    if found is None and protocol is not None:
        return owning_institution_id(protocol)
    return found


def audit_record(
    *,
    actor: Any,
    action: AuditAction,
    target: models.Model,
    data: dict[str, Any] | None = None,
    protocol: models.Model | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the caller's transaction."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}: declare it in audit.actions.AuditAction.")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must be called inside the transaction that makes the change.")
    _lock_chain()
    # Microseconds are dropped so the stored time and the hashed time are the same on every database.
    occurred_at = timezone.now().replace(microsecond=0)
    clean = json.loads(canonical_json(mask_secrets(data or {})))
    previous = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    actor_id = actor.pk if actor is not None and getattr(actor, "is_authenticated", False) else None
    target_type = target._meta.label_lower
    target_id = str(target.pk)
    event = AuditEvent(  # type: ignore[misc]  # protocol: a protocols.Protocol, typed Model in this lower layer
        occurred_at=occurred_at,
        actor_id=actor_id,
        actor_label=getattr(actor, "email", "") if actor_id else "system",
        action=action,
        target_type=target_type,
        target_id=target_id,
        protocol=protocol,
        institution_id=_event_institution_id(target, protocol),
        data=clean,
        previous_hash=previous,
        hash=event_hash(
            previous_hash=previous,
            occurred_at=occurred_at.isoformat(),
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            data=clean,
        ),
    )
    event.save()
    return event
