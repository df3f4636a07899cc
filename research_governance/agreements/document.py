"""The data-sharing agreement's document: a PDF rendered through the letters machinery
(WeasyPrint with ``LetterURLFetcher``, which loads nothing but data: URIs and our static files;
the IPAex fonts of letters/letter.css; a verification code with its QR code).

Rendered by a Celery task after the transaction that creates the agreement commits, and again when
both parties have signed (the signatures are then printed). The verification code stays the same;
the SHA-256 is that of the latest rendering. The PDF is private: streamed only to those who may
view the agreement (views_review.agreement_document)."""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from research_governance.audit.actions import AuditAction
from research_governance.audit.services import audit_record
from research_governance.celery import Task
from research_governance.committees.models import Committee
from research_governance.core.fields import model_field
from research_governance.core.site import absolute_url

from .models import Agreement, Signature

logger = logging.getLogger(__name__)

# What the recipient must honour, by DUO modifier (the assessment's obligations).
OBLIGATION_TEXT = {
    "PUB": _("Publish the results of the research (PUB)."),
    "COL": _("Collaborate with the primary study's investigators (COL)."),
    "RTN": _("Return derived or enriched data to the provider (RTN)."),
    "MOR": _("Publish nothing from the data before the end of the publication moratorium (MOR)."),
    "IRB": _("Keep an ethics approval covering the use of the data (IRB)."),
    "NPU": _("Use the data only in not-for-profit organisations (NPU)."),
    "NCU": _("Make no commercial use of the data (NCU)."),
    "GS": _("Use the data only in the permitted countries (GS)."),
    "TS": _("Use the data only until the time limit of the consent (TS)."),
    "US": _("Only the approved users may use the data (US)."),
    "PS": _("Use the data only for the approved project (PS)."),
    "GSO": _("Use the data only for genetic studies (GSO)."),
    "NMDS": _("Develop no methods with the data outside the disease studied (NMDS)."),
    "NPOA": _("Do no research on population origins or ancestry (NPOA)."),
}


def new_verification_code() -> str:
    """Unguessable and URL-safe: 192 random bits (as letters)."""
    return secrets.token_urlsafe(24)


def verify_url(code: str) -> str:
    """The absolute address printed on the agreement and in its QR code (from SITE_URL)."""
    return absolute_url(reverse("agreements:agreement_verify", args=[code]))


@dataclass
class Party:
    role: str
    name: str
    signature: Signature | None
    meaning_label: str = ""


@dataclass
class AgreementContent:
    agreement: Agreement
    language: str
    issued_at: datetime
    verify_url: str
    provider_institution: str
    committee: str
    recipient_institution: str
    requester: str
    team: list[str]
    datasets: list[dict[str, Any]]
    obligations: list[str]
    transfer_basis: list[str]
    security: list[str]
    parties: list[Party] = field(default_factory=list)


def _obligation(item: Any) -> str:
    code = item.get("code", "") if isinstance(item, dict) else str(item)
    text = OBLIGATION_TEXT.get(code)
    if text:
        return str(text)
    if isinstance(item, dict):
        return str(item.get("text") or item.get("reason") or code)
    return code


def transfer_basis(agreement: Agreement) -> list[str]:
    """Why the provision is lawful, as the request states it (JP-IC-08, JP-IC-09, XB-01, XB-02)."""
    data_request = agreement.request
    datasets = list(data_request.datasets.all())
    if data_request.recipient_is_provider:
        return [str(_("Use within the providing institution: not a provision to a third party."))]
    basis = []
    if all(dataset.consent_covers_provision for dataset in datasets):
        basis.append(str(_("The subjects consented to provision to other institutions (JP-IC-08).")))
    if data_request.recipient_country and data_request.recipient_country != "JP":
        if data_request.equivalent_measures:
            basis.append(str(_("The recipient keeps an equivalent-protection system (JP-IC-09, XB-01).")))
        if all(dataset.consent_with_foreign_information for dataset in datasets):
            basis.append(
                str(
                    _(
                        "The subjects consented to foreign provision after being told the country and its "
                        "protection system (JP-IC-09)."
                    )
                )
            )
        if data_request.standard_contractual_clauses:
            basis.append(str(_("Standard contractual clauses are in place (GDPR Art. 46, XB-02).")))
    else:
        basis.append(str(_("Provision within Japan.")))
    return basis


def agreement_content(agreement: Agreement, *, language: str) -> AgreementContent:
    data_request = agreement.request
    with translation.override(language):
        committee = (
            Committee.objects.filter(institution_id=data_request.institution_id, kind=Committee.Kind.DATA_ACCESS)
            .order_by("id")
            .first()
        )
        signatures = {signature.party: signature for signature in agreement.signatures.all()}
        parties = []
        for party, name in (
            (Signature.Party.PROVIDER, data_request.institution.name),
            (Signature.Party.RECIPIENT, data_request.recipient_institution or data_request.institution.name),
        ):
            signature = signatures.get(party)
            parties.append(
                Party(
                    role=str(Signature.Party(party).label),
                    name=name,
                    signature=signature,
                    meaning_label=signature.meaning_label if signature else "",
                )
            )
        security = [
            str(model_field(type(data_request), name).verbose_name)
            for name in (
                "security_storage",
                "security_access_control",
                "security_encryption",
                "security_no_reidentification",
                "security_destruction",
            )
            if getattr(data_request, name)
        ]
        return AgreementContent(
            agreement=agreement,
            language=language,
            issued_at=timezone.now().replace(microsecond=0),
            verify_url=verify_url(agreement.verification_code or ""),
            provider_institution=data_request.institution.name,
            committee=(committee.name_ja if language == "ja" else committee.name_en) if committee else "",
            recipient_institution=data_request.recipient_institution or data_request.institution.name,
            requester=data_request.requester.display_name,
            team=[member.user.display_name for member in data_request.team.select_related("user").order_by("id")],
            datasets=[
                {
                    "title": dataset.title,
                    "permission": dataset.get_duo_permission_display(),
                    "diseases": list(dataset.duo_diseases),
                    "modifiers": list(dataset.duo_modifiers),
                    "countries": list(dataset.duo_countries),
                    "time_limit": dataset.duo_time_limit,
                    "deidentification": dataset.get_deidentification_display(),
                }
                for dataset in data_request.datasets.all()
            ],
            obligations=[_obligation(item) for item in (data_request.assessment or {}).get("obligations", [])],
            transfer_basis=transfer_basis(agreement),
            security=security,
            parties=parties,
        )


def render_pdf(content: AgreementContent) -> bytes:
    from research_governance.letters.content import qr_data_uri
    from research_governance.letters.rendering import LetterURLFetcher, html_to_pdf

    with translation.override(content.language):
        html = render_to_string(
            "agreements/document/agreement.html", {"doc": content, "qr": qr_data_uri(content.verify_url)}
        )
    return html_to_pdf(html, fetcher=LetterURLFetcher())


def agreement_render(agreement_id: int) -> Agreement | None:
    """Render the agreement's document as it stands and store it with its SHA-256. Rendered
    outside any transaction; stored in a short one."""
    agreement = (
        Agreement.objects.select_related("request__institution", "request__requester")
        .prefetch_related("request__datasets", "signatures")
        .filter(pk=agreement_id)
        .first()
    )
    if agreement is None:
        logger.warning("Agreement %s does not exist; no document rendered", agreement_id)
        return None
    pdf = render_pdf(agreement_content(agreement, language=settings.LANGUAGE_CODE))
    sha256 = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        locked = Agreement.objects.select_for_update().get(pk=agreement_id)
        # An earlier rendering (what was signed) stays in storage; the audit trail names its hash.
        locked.document.save(f"{locked.reference}.pdf", ContentFile(pdf), save=False)
        locked.document_sha256 = sha256
        locked.save(update_fields=["document", "document_sha256"])
        audit_record(
            actor=None,
            action=AuditAction.AGREEMENT_DOCUMENT_RENDERED,
            target=locked,
            data={
                "reference": locked.reference,
                "sha256": sha256,
                "size": len(pdf),
                "signatures": len(agreement.signatures.all()),
            },
        )
    return locked


@shared_task(base=Task, acks_late=True, soft_time_limit=60, time_limit=90)
def render_agreement_document(agreement_id: int) -> str | None:
    agreement = agreement_render(agreement_id)
    return agreement.reference if agreement else None


def queue_document(agreement: Agreement) -> None:
    """Render after the caller's transaction commits; a broker that cannot be reached is logged."""
    render_agreement_document.delay_on_commit(agreement.pk)
