"""Every write to a protocol's application goes through these functions.

Each locks the protocol row, checks the actor's permission and that the draft is
still editable, makes the change, and records the audit event in the same
transaction."""

from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from research_governance.accounts.models import Institution, User
from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record

from . import access_services, permissions
from .application import FORM_FIELDS
from .models import DataRecipient, Document, DocumentVersion, Protocol, Site, TeamMember
from .uploads import screen_upload


class DraftNotEditable(Exception):
    """The application is submitted: it cannot change until the submission is withdrawn."""

    def __init__(self) -> None:
        super().__init__(
            _(
                "This application has been submitted and can no longer be edited. "
                "Withdraw the submission first if the secretariat has not accepted it yet."
            )
        )


@dataclass
class EditConflict(Exception):
    """Somebody (or another browser tab) saved the draft since this form was loaded."""

    saved_at: datetime
    current_lock_version: int

    def __str__(self) -> str:
        return _(
            "This draft was changed elsewhere (another tab or a colleague) at %(time)s, after you opened it. "
            "Your changes have not been saved; they are still in the form. Copy what you need, then reload "
            "the page to see the latest version."
        ) % {"time": timezone.localtime(self.saved_at).strftime("%H:%M:%S")}


def _locked_editable_protocol(protocol: Protocol, by: User) -> Protocol:
    locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
    if not permissions.can_edit(by, locked):
        raise PermissionDenied
    if not locked.is_editable:
        raise DraftNotEditable
    return locked


def _touch(protocol: Protocol) -> None:
    """Mark the draft as changed (for the dashboard's dates) without bumping the form's lock."""
    Protocol.objects.filter(pk=protocol.pk).update(updated_at=timezone.now())
    access_services.restamp_dashboards(protocol=protocol)


@transaction.atomic
def protocol_create(*, by: User, title_ja: str = "", title_en: str = "") -> Protocol:
    if not (title_ja.strip() or title_en.strip()):
        raise ValidationError(_("Give the study a title in Japanese or in English."))
    if by.institution_id is None:
        raise PermissionDenied
    protocol = Protocol.objects.create(
        institution_id=by.institution_id,
        principal_investigator=by,
        created_by=by,
        title_ja=title_ja.strip(),
        title_en=title_en.strip(),
    )
    protocol.reference = f"{timezone.localdate():%Y}-{protocol.pk:05d}"
    protocol.save(update_fields=["reference"])
    access_services.grant_team_access(user=by, protocol=protocol, can_edit=True)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_CREATED,
        target=protocol,
        protocol=protocol,
        data={"reference": protocol.reference, "title_ja": protocol.title_ja, "title_en": protocol.title_en},
    )
    return protocol


@transaction.atomic
def protocol_update_draft(*, protocol: Protocol, by: User, data: dict[str, Any], lock_version: int) -> Protocol:
    """Save the draft form. ``lock_version`` is the version the editor loaded;
    if the draft changed since, nothing is saved and EditConflict says when."""
    locked = _locked_editable_protocol(protocol, by)
    if locked.lock_version != lock_version:
        raise EditConflict(saved_at=locked.updated_at, current_lock_version=locked.lock_version)
    changed = [name for name in FORM_FIELDS if name in data and getattr(locked, name) != data[name]]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, data[name])
    locked.lock_version += 1
    locked.full_clean(exclude=["reference"])
    locked.save(update_fields=[*changed, "lock_version", "updated_at"])
    access_services.restamp_dashboards(protocol=locked)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_DRAFT_SAVED,
        target=locked,
        protocol=locked,
        data={"fields": sorted(changed)},
    )
    return locked


@transaction.atomic
def team_member_add(*, protocol: Protocol, by: User, user: User, role: str, can_edit: bool) -> TeamMember:
    locked = _locked_editable_protocol(protocol, by)
    if user.pk == locked.principal_investigator_id:
        raise ValidationError(_("%(name)s is the principal investigator already.") % {"name": user.display_name})
    if TeamMember.objects.filter(protocol=locked, user=user).exists():
        raise ValidationError(_("%(name)s is on the team already.") % {"name": user.display_name})
    member = TeamMember(protocol=locked, user=user, role=role, can_edit=can_edit)
    member.full_clean()
    member.save()
    access_services.grant_team_access(user=user, protocol=locked, can_edit=can_edit)
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_TEAM_MEMBER_ADDED,
        target=locked,
        protocol=locked,
        data={"user_id": user.pk, "email": user.email, "role": role, "can_edit": can_edit},
    )
    return member


@transaction.atomic
def team_member_remove(*, member: TeamMember, by: User) -> None:
    locked = _locked_editable_protocol(member.protocol, by)
    user = member.user
    member.delete()
    access_services.revoke_team_access(user=user, protocol=locked)
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_TEAM_MEMBER_REMOVED,
        target=locked,
        protocol=locked,
        data={"user_id": user.pk, "email": user.email},
    )


@transaction.atomic
def site_add(
    *,
    protocol: Protocol,
    by: User,
    name: str,
    site_investigator: str,
    is_lead: bool,
    institution: Institution | None = None,
) -> Site:
    locked = _locked_editable_protocol(protocol, by)
    if is_lead:
        # One lead site: naming a new lead demotes the old one.
        Site.objects.filter(protocol=locked, is_lead=True).update(is_lead=False)
    site = Site(
        protocol=locked,
        name=name.strip() or (institution.name if institution else ""),
        institution=institution,
        site_investigator=site_investigator.strip(),
        is_lead=is_lead,
    )
    site.full_clean()
    site.save()
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_SITE_ADDED,
        target=locked,
        protocol=locked,
        data={"name": site.name, "is_lead": is_lead, "institution": institution.code if institution else None},
    )
    return site


@transaction.atomic
def site_remove(*, site: Site, by: User) -> None:
    locked = _locked_editable_protocol(site.protocol, by)
    name = site.name
    site.delete()
    _touch(locked)
    audit_record(
        actor=by, action=AuditAction.PROTOCOL_SITE_REMOVED, target=locked, protocol=locked, data={"name": name}
    )


@transaction.atomic
def recipient_add(
    *, protocol: Protocol, by: User, name: str, kind: str, country: str, equivalent_measures: bool
) -> DataRecipient:
    locked = _locked_editable_protocol(protocol, by)
    recipient = DataRecipient(
        protocol=locked,
        name=name.strip(),
        kind=kind,
        country=country.strip().upper(),
        equivalent_measures=equivalent_measures,
    )
    recipient.full_clean()
    recipient.save()
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.PROTOCOL_RECIPIENT_ADDED,
        target=locked,
        protocol=locked,
        data={"name": recipient.name, "kind": kind, "country": recipient.country},
    )
    return recipient


@transaction.atomic
def recipient_remove(*, recipient: DataRecipient, by: User) -> None:
    locked = _locked_editable_protocol(recipient.protocol, by)
    data = {"name": recipient.name, "country": recipient.country}
    recipient.delete()
    _touch(locked)
    audit_record(actor=by, action=AuditAction.PROTOCOL_RECIPIENT_REMOVED, target=locked, protocol=locked, data=data)


def _store_version(*, document: Document, by: User, upload: IO[bytes], name: str, size: int) -> DocumentVersion:
    screened = screen_upload(upload, name=name, size=size)
    number = (document.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = DocumentVersion(
        document=document,
        number=number,
        original_name=screened.name,
        content_type=screened.file_type.content_type,
        size=screened.size,
        sha256=screened.sha256,
        uploaded_by=by,
    )
    version.file.save(screened.name, File(upload), save=False)
    # The stored file is named after its hash; if the transaction rolls back it stays as an
    # unreferenced file (never served), which is cheaper than racing a cleanup.
    version.save()
    document.current_version = version
    document.save(update_fields=["current_version"])
    return version


@transaction.atomic
def document_add(
    *, protocol: Protocol, by: User, kind: str, title: str, upload: IO[bytes], name: str, size: int
) -> Document:
    locked = _locked_editable_protocol(protocol, by)
    document = Document(protocol=locked, kind=kind, title=title.strip() or name)
    document.full_clean(exclude=["current_version"])
    document.save()
    version = _store_version(document=document, by=by, upload=upload, name=name, size=size)
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.DOCUMENT_ADDED,
        target=document,
        protocol=locked,
        data={"kind": kind, "title": document.title, "file_name": version.original_name, "sha256": version.sha256},
    )
    return document


@transaction.atomic
def document_replace(*, document: Document, by: User, upload: IO[bytes], name: str, size: int) -> DocumentVersion:
    """A new version becomes current; the replaced one is kept (and stays in earlier submissions)."""
    locked = _locked_editable_protocol(document.protocol, by)
    document = Document.objects.select_for_update().get(pk=document.pk, protocol=locked)
    if document.withdrawn_at is not None:
        raise ValidationError(_("This document was withdrawn; add it again as a new document."))
    previous = document.current_version
    version = _store_version(document=document, by=by, upload=upload, name=name, size=size)
    _touch(locked)
    audit_record(
        actor=by,
        action=AuditAction.DOCUMENT_REPLACED,
        target=document,
        protocol=locked,
        data={
            "version": version.number,
            "file_name": version.original_name,
            "sha256": version.sha256,
            "replaced_version": previous.number if previous else None,
        },
    )
    return version


@transaction.atomic
def document_withdraw(*, document: Document, by: User) -> Document:
    """Take a document out of the application. Its versions are kept on record."""
    locked = _locked_editable_protocol(document.protocol, by)
    document = Document.objects.select_for_update().get(pk=document.pk, protocol=locked)
    if document.withdrawn_at is None:
        document.withdrawn_at = timezone.now()
        document.save(update_fields=["withdrawn_at"])
        _touch(locked)
        audit_record(
            actor=by,
            action=AuditAction.DOCUMENT_WITHDRAWN,
            target=document,
            protocol=locked,
            data={"title": document.title},
        )
    return document
