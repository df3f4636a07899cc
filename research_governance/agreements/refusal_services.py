"""Refusals and withdrawals (JP-IC-10, JP-IC-11).

A subject's refusal of the use of their data (opt-out) or withdrawal of consent reaches the study
in one of two ways: the study team registers it under the study's pseudonymous subject code, or the
person uses the refusal form on the study's public notice (``research_governance.notices``). Either
way the PI and the team are told at once (the PI must act without delay, JP-IC-11), and the
recipients of every agreement covering the study are told and asked to acknowledge.

What each side sees: the study team sees everything, including what the person typed on the public
form to be found (name, how to contact them, which records). A recipient sees the subject code, the
kind and the date, never the public form's contact details: those are for the study team only."""

import re
import secrets
from datetime import timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from research_governance.accounts.models import User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.core.hooks import Hook
from research_governance.notifications.handoff import announce
from research_governance.notifications.messages import bilingual, in_each_language
from research_governance.notifications.services import Notice, notify_many
from research_governance.protocols import permissions as protocol_permissions
from research_governance.protocols.models import Protocol

from .models import Agreement, DataAccessRequest, RefusalAcknowledgement, RequestTeamMember, SubjectRefusal
from .services import requesting_team
from .workflow import AgreementStatus

# Whether a study's notice is public is the notices app's to say; it sits above agreements and
# registers ``receiver(*, protocol) -> bool`` here in its AppConfig.ready().
has_public_notice = Hook("agreements.has_public_notice", provided_by="notices")

# Agreements still able to move data: a refusal must reach their recipients (JP-IC-11).
COVERING_STATUSES = (AgreementStatus.ACTIVE, AgreementStatus.SUSPENDED, AgreementStatus.AWAITING_SIGNATURES)
# An acknowledgement still open after this long is shown as overdue.
ACKNOWLEDGE_WITHIN = timedelta(days=7)
# A pseudonymous code: letters, digits and a few separators; never a name or an email address.
SUBJECT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


# ---- who may do what -------------------------------------------------------------------------


def is_study_team(user: Any, protocol: Protocol) -> bool:
    """The PI and the team members with view access to the protocol (protocols.permissions)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return protocol.principal_investigator_id == user.pk or protocol_permissions.is_on_team(user, protocol)


def is_recipient(user: Any, agreement: Agreement) -> bool:
    """On the requesting team of the agreement's request: the recipient side."""
    if not (user.is_authenticated and user.is_active):
        return False
    data_request = agreement.request
    return data_request.requester_id == user.pk or data_request.team.filter(user=user).exists()


def recipient_acknowledgements(user: Any) -> QuerySet[RefusalAcknowledgement]:
    """The acknowledgements of the agreements whose requesting team the user is on (one query)."""
    if not (user.is_authenticated and user.is_active):
        return RefusalAcknowledgement.objects.none()
    on_team = Exists(RequestTeamMember.objects.filter(request=OuterRef("agreement__request"), user=user))
    return (
        RefusalAcknowledgement.objects.filter(on_team | Exists(_requested_by(user)))
        .select_related("refusal", "agreement__request", "acknowledged_by")
        .order_by("acknowledged_at", "-notified_at", "-id")
    )


def _requested_by(user: User) -> QuerySet[DataAccessRequest]:
    return DataAccessRequest.objects.filter(pk=OuterRef("agreement__request"), requester=user)


# ---- reads -----------------------------------------------------------------------------------


def covering_agreements(protocol: Protocol) -> QuerySet[Agreement]:
    """Agreements whose request includes a dataset of the protocol and that can still move data."""
    return (
        Agreement.objects.filter(status__in=COVERING_STATUSES, request__datasets__protocol=protocol)
        .distinct()
        .select_related("request__requester")
        .order_by("pk")
    )


def is_overdue(ack: RefusalAcknowledgement, now: Any = None) -> bool:
    now = now or timezone.now()
    return ack.acknowledged_at is None and now - ack.notified_at > ACKNOWLEDGE_WITHIN


def protocol_refusals(protocol: Protocol) -> QuerySet[SubjectRefusal]:
    """The study's refusals, newest first, with their acknowledgements in one more query."""
    return (
        SubjectRefusal.objects.filter(protocol=protocol)
        .select_related("registered_by", "handled_by")
        .prefetch_related("acknowledgements__agreement", "acknowledgements__acknowledged_by")
        .order_by("-received_at", "-id")
    )


# ---- writes ----------------------------------------------------------------------------------


def _about(protocol: Protocol) -> dict[str, Any]:
    return {
        "reference": protocol.reference or f"#{protocol.pk}",
        "title": bilingual(protocol.title_ja, protocol.title_en),
    }


def _agreement_about(agreement: Agreement) -> dict[str, Any]:
    # The recipients' own project: nothing of the study beyond what their agreement names.
    return {"reference": agreement.reference, "title": agreement.request.title}


def _study_team(protocol: Protocol) -> list[User]:
    team = [protocol.principal_investigator]
    team += [member.user for member in protocol.team_members.select_related("user")]
    return team


def _new_receipt() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"R-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _tell_everyone(refusal: SubjectRefusal, protocol: Protocol, by: User | None) -> list[RefusalAcknowledgement]:
    """An acknowledgement to track per covering agreement (JP-IC-11). The hand-offs ask the PI to
    record what was done and each agreement's recipients to acknowledge (the link is their
    request's page: they are not on the study); the rest of the study team is told it arrived."""
    now = refusal.received_at
    agreements = list(covering_agreements(protocol))
    acks = RefusalAcknowledgement.objects.bulk_create(
        RefusalAcknowledgement(refusal=refusal, agreement=agreement, notified_at=now) for agreement in agreements
    )
    handed = announce(protocol_ids=[protocol.pk], request_ids=[agreement.request_id for agreement in agreements], by=by)
    told = {notification.recipient_id for notification in handed}
    kind_label = in_each_language(SubjectRefusal.Kind(refusal.kind).label)
    notify_many(
        [
            Notice(
                recipients=[user for user in _study_team(protocol) if user.pk not in told],
                kind="refusal.received",
                params={**_about(protocol), "kind": kind_label, "count": len(agreements)},
                link=reverse("agreements:refusal_list", args=[protocol.pk]),
                protocol=protocol,
            )
        ]
    )
    return acks


def _clean_subject_code(code: str) -> str:
    code = (code or "").strip()
    if not SUBJECT_CODE.match(code):
        raise ValidationError(
            {
                "subject_code": gettext(
                    "Give the study's pseudonymous subject code (letters, digits, “-”, “_”, “.” or “/”; "
                    "no spaces, never a name or an email address)."
                )
            }
        )
    return code


@transaction.atomic
def refusal_register(
    *, protocol: Protocol, by: User, kind: str, subject_code: str, details: str = ""
) -> SubjectRefusal:
    """The study team registers a subject's refusal or withdrawal under the subject's code."""
    locked = Protocol.objects.select_for_update().select_related("principal_investigator").get(pk=protocol.pk)
    if not is_study_team(by, locked):
        raise PermissionDenied
    if kind not in SubjectRefusal.Kind.values:
        raise ValidationError({"kind": gettext("Choose a refusal or a withdrawal.")})
    refusal = SubjectRefusal(
        protocol=locked,
        kind=kind,
        channel=SubjectRefusal.Channel.REGISTERED,
        subject_code=_clean_subject_code(subject_code),
        details=details.strip(),
        received_at=timezone.now(),
        registered_by=by,
    )
    refusal.full_clean(exclude=["receipt"])
    refusal.save()
    acks = _tell_everyone(refusal, locked, by)
    audit_record(
        actor=by,
        action=AuditAction.REFUSAL_REGISTERED,
        target=refusal,
        protocol=locked,
        # The code only: no personal data in the audit trail.
        data={"kind": kind, "subject_code": refusal.subject_code, "agreements": [a.agreement_id for a in acks]},
    )
    return refusal


@transaction.atomic
def refusal_receive_public(
    *, protocol: Protocol, contact_name: str, contact_details: str, details: str
) -> SubjectRefusal:
    """A refusal sent by a member of the public through the refusal form of the study's notice
    (JP-IC-10): no user. Only a study whose notice is public takes refusals this way."""
    locked = Protocol.objects.select_for_update().select_related("principal_investigator").get(pk=protocol.pk)
    if not any(has_public_notice(protocol=locked)):
        raise ValidationError(gettext("This study has no public notice: refusals cannot be sent through it."))
    errors = {}
    if not contact_name.strip():
        errors["contact_name"] = gettext("Give your name, so the study team can find your records.")
    if not contact_details.strip():
        errors["contact_details"] = gettext("Say how the study team can contact you.")
    if errors:
        raise ValidationError(errors)
    refusal = SubjectRefusal(
        protocol=locked,
        kind=SubjectRefusal.Kind.REFUSAL,
        channel=SubjectRefusal.Channel.PUBLIC_FORM,
        contact_name=contact_name.strip(),
        contact_details=contact_details.strip(),
        details=details.strip(),
        received_at=timezone.now(),
        receipt=_new_receipt(),
    )
    refusal.full_clean()
    refusal.save()
    acks = _tell_everyone(refusal, locked, None)
    audit_record(
        actor=None,
        action=AuditAction.REFUSAL_RECEIVED_PUBLIC,
        target=refusal,
        protocol=locked,
        # Nothing the person typed: their name and contact stay with the refusal, for the team.
        data={"kind": refusal.kind, "channel": refusal.channel, "agreements": [a.agreement_id for a in acks]},
    )
    return refusal


@transaction.atomic
def refusal_acknowledge(*, ack: RefusalAcknowledgement, by: User) -> RefusalAcknowledgement:
    """A member of the recipient's team acknowledges that they were told of the refusal."""
    locked = RefusalAcknowledgement.objects.select_for_update().select_related("agreement__request").get(pk=ack.pk)
    if not is_recipient(by, locked.agreement):
        raise PermissionDenied
    if locked.acknowledged_at is not None:
        raise ValidationError(gettext("This refusal has already been acknowledged."))
    locked.acknowledged_at = timezone.now()
    locked.acknowledged_by = by
    locked.save(update_fields=["acknowledged_at", "acknowledged_by"])
    refusal = SubjectRefusal.objects.get(pk=locked.refusal_id)
    audit_record(
        actor=by,
        action=AuditAction.REFUSAL_ACKNOWLEDGED,
        target=refusal,
        protocol=refusal.protocol,
        data={"agreement": locked.agreement.reference, "subject_code": refusal.subject_code},
    )
    announce(request_ids=[locked.agreement.request_id], by=by)
    return locked


@transaction.atomic
def refusal_handle(*, refusal: SubjectRefusal, by: User, note: str, subject_code: str = "") -> SubjectRefusal:
    """The PI records what was done: use and provision stopped, or why they cannot be (already
    anonymised or published, JP-IC-11). For a refusal from the public form the PI may record the
    subject code the person's records were found under; the recipients then see it."""
    locked = SubjectRefusal.objects.select_for_update().select_related("protocol").get(pk=refusal.pk)
    protocol = locked.protocol
    if protocol.principal_investigator_id != by.pk:
        raise PermissionDenied
    if locked.handled_at is not None:
        raise ValidationError(gettext("What was done has already been recorded."))
    if not note.strip():
        raise ValidationError(
            {
                "note": gettext(
                    "Say what was done: use and provision stopped, or why they cannot be "
                    "(for example already anonymised or published)."
                )
            }
        )
    identified = False
    if subject_code.strip():
        if locked.subject_code:
            raise ValidationError({"subject_code": gettext("This refusal already has a subject code.")})
        locked.subject_code = _clean_subject_code(subject_code)
        identified = True
    locked.handled_at = timezone.now()
    locked.handled_by = by
    locked.handling_note = note.strip()
    locked.save(update_fields=["handled_at", "handled_by", "handling_note", "subject_code"])
    audit_record(
        actor=by,
        action=AuditAction.REFUSAL_HANDLED,
        target=locked,
        protocol=protocol,
        data={"subject_code": locked.subject_code, "identified": identified},
    )
    announce(protocol_ids=[protocol.pk], by=by)
    if identified:
        acks = list(locked.acknowledgements.select_related("agreement__request__requester"))
        notify_many(
            Notice(
                recipients=requesting_team(ack.agreement.request),
                kind="refusal.subject_identified",
                params=_agreement_about(ack.agreement),
                link=reverse("agreements:refusals_to_acknowledge"),
            )
            for ack in acks
        )
    return locked


# ---- the request page's panel ------------------------------------------------------------------


def panel(user: User, data_request: DataAccessRequest) -> dict[str, Any] | None:
    """For the recipients: the refusals their agreement must honour and has not yet acknowledged."""
    agreement = Agreement.objects.filter(request=data_request).first()
    if agreement is None or not is_recipient(user, agreement):
        return None
    acks = list(
        RefusalAcknowledgement.objects.filter(agreement=agreement, acknowledged_at__isnull=True)
        .select_related("refusal")
        .order_by("notified_at", "id")
    )
    if not acks:
        return None
    now = timezone.now()
    return {"agreement": agreement, "rows": [(ack, is_overdue(ack, now)) for ack in acks]}
