"""The application form's shape, in one place: its sections and fields, what a
complete application must contain, and the frozen snapshot taken at submission.
The edit form, the completeness check and the version page all read from here."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from research_governance.core.fields import model_field

from .models import ConsentProcedure, DataRecipient, DocumentKind, Protocol


@dataclass(frozen=True)
class Section:
    slug: str
    title: Promise
    fields: tuple[str, ...]


SECTIONS: tuple[Section, ...] = (
    Section(
        "study",
        _("The study"),
        (
            "title_ja",
            "title_en",
            "summary",
            "planned_start",
            "planned_end",
            "target_participants",
            "funding_source",
            "has_conflict_of_interest",
            "conflict_of_interest_details",
            "registry_id",
            "progress_report_interval_months",
        ),
    ),
    Section(
        "data",
        _("Samples, information and consent"),
        (
            "acquisition",
            "uses_samples",
            "invasiveness",
            "interventional",
            "special_care_personal_info",
            "deidentification",
            "personally_referable",
            "consent_procedure",
            "consent_exception_requested",
            "consent_exception_justification",
            "opt_out_notice_text",
        ),
    ),
    Section(
        "ai",
        _("AI and machine learning"),
        ("uses_ai", "ai_purpose", "ai_trains_on_identifiable_data", "ai_uses_external_service"),
    ),
)
FORM_FIELDS: tuple[str, ...] = tuple(name for section in SECTIONS for name in section.fields)
SECTION_OF_FIELD = {name: section.slug for section in SECTIONS for name in section.fields}

# Always required before submission (a draft may be saved with any of them empty).
REQUIRED_FIELDS: tuple[str, ...] = (
    "title_ja",
    "title_en",
    "summary",
    "planned_start",
    "planned_end",
    "target_participants",
    "funding_source",
    "has_conflict_of_interest",
    "acquisition",
    "uses_samples",
    "invasiveness",
    "interventional",
    "special_care_personal_info",
    "deidentification",
    "consent_procedure",
    "uses_ai",
)

CONSENT_FORM_PROCEDURES = {
    ConsentProcedure.WRITTEN_IC,
    ConsentProcedure.ELECTRONIC_IC,
    ConsentProcedure.ORAL_IC_WITH_RECORD,
}


@dataclass(frozen=True)
class MissingItem:
    section: str
    anchor: str
    message: str


def _label(name: str) -> str:
    return capfirst(str(model_field(Protocol, name).verbose_name))


def _is_empty(value: Any) -> bool:
    return value is None or value == ""


def missing_items(
    protocol: Protocol, *, document_kinds: set[str], recipient_kinds: set[str], site_leads: list[bool]
) -> list[MissingItem]:
    """Everything a submission still lacks, listed at once.

    ``document_kinds`` are the kinds of the protocol's current (not withdrawn) documents,
    ``recipient_kinds`` the kinds of its data recipients, ``site_leads`` one flag per site."""
    missing: list[MissingItem] = []

    def need_field(name: str) -> None:
        if _is_empty(getattr(protocol, name)):
            field = model_field(Protocol, name)
            if field.choices or field.get_internal_type() == "BooleanField":
                message = gettext("Answer the question “%(field)s”.") % {"field": _label(name)}
            else:
                message = gettext("%(field)s is required.") % {"field": _label(name)}
            missing.append(MissingItem(SECTION_OF_FIELD[name], f"id_{name}", message))

    def need_document(kind: str, why: str = "") -> None:
        if kind not in document_kinds:
            message = gettext("Attach the document: %(kind)s.") % {"kind": DocumentKind(kind).label}
            if why:
                message = f"{message} {why}"
            missing.append(MissingItem("documents", "documents", message))

    for name in REQUIRED_FIELDS:
        need_field(name)
    if protocol.has_conflict_of_interest and not protocol.conflict_of_interest_details.strip():
        missing.append(
            MissingItem(
                "study", "id_conflict_of_interest_details", gettext("Describe the conflict of interest you declared.")
            )
        )
    if protocol.uses_ai:
        for name in ("ai_purpose", "ai_trains_on_identifiable_data", "ai_uses_external_service"):
            need_field(name)
        if protocol.ai_uses_external_service and DataRecipient.Kind.EXTERNAL_AI_SERVICE not in recipient_kinds:
            missing.append(
                MissingItem(
                    "recipients",
                    "recipients",
                    gettext("Add the external AI service as a data recipient, with its country."),
                )
            )

    if protocol.consent_exception_requested and not protocol.consent_exception_justification.strip():
        missing.append(
            MissingItem(
                "data",
                "id_consent_exception_justification",
                gettext("Give the justification for the exception you ask for."),
            )
        )
    if site_leads and not any(site_leads):
        missing.append(MissingItem("sites", "sites", gettext("Mark which participating site is the lead site.")))

    need_document(DocumentKind.PROTOCOL)
    procedure = protocol.consent_procedure
    if procedure in CONSENT_FORM_PROCEDURES:
        need_document(DocumentKind.CONSENT_FORM)
    if procedure == ConsentProcedure.ELECTRONIC_IC:
        need_document(
            DocumentKind.E_IC_MATERIALS, gettext("(JP-IC-12: for e-IC studies, attach the method and materials.)")
        )
    if procedure == ConsentProcedure.OPT_OUT:
        need_document(DocumentKind.OPT_OUT_NOTICE, gettext("(JP-IC-12: for opt-out studies, attach the notice.)"))
        if not protocol.opt_out_notice_text.strip():
            missing.append(
                MissingItem(
                    "data",
                    "id_opt_out_notice_text",
                    gettext("Opt-out notice text is required: it is published while the study runs (JP-IC-10)."),
                )
            )
    return missing


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    return value


def build_snapshot(protocol: Protocol, *, team: list, sites: list, recipients: list, documents: list) -> dict:
    """The application as submitted, as plain JSON."""
    pi = protocol.principal_investigator
    return {
        "reference": protocol.reference,
        "form": {name: _json_value(getattr(protocol, name)) for name in FORM_FIELDS},
        "principal_investigator": {"id": pi.pk, "name_ja": pi.name_ja, "name_latin": pi.name_latin, "email": pi.email},
        "team": [
            {
                "user_id": m.user_id,
                "name_ja": m.user.name_ja,
                "name_latin": m.user.name_latin,
                "email": m.user.email,
                "role": m.role,
                "can_edit": m.can_edit,
            }
            for m in team
        ],
        "sites": [{"name": s.name, "site_investigator": s.site_investigator, "is_lead": s.is_lead} for s in sites],
        "recipients": [
            {"name": r.name, "kind": r.kind, "country": r.country, "equivalent_measures": r.equivalent_measures}
            for r in recipients
        ],
        "documents": [
            {
                "document_id": d.pk,
                "kind": d.kind,
                "title": d.title,
                "version_id": d.current_version.pk,
                "version": d.current_version.number,
                "file_name": d.current_version.original_name,
                "size": d.current_version.size,
                "sha256": d.current_version.sha256,
            }
            for d in documents
        ],
    }


def display_value(name: str, value: Any) -> str:
    """A snapshot value as a person reads it."""
    field = model_field(Protocol, name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    return str(value)


def snapshot_sections(snapshot: dict) -> list[dict]:
    """The snapshot's form grouped by section, with labels, for the version page."""
    form = snapshot.get("form", {})
    return [
        {
            "title": section.title,
            "slug": section.slug,
            "rows": [(_label(name), display_value(name, form.get(name))) for name in section.fields],
        }
        for section in SECTIONS
    ]
