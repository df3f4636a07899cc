"""Which notices are public, and what each says (JP-IC-10).

A study's notice (情報公開文書) is public while the study has an approval in force: its latest
approval (``reviews.services.current_approval``) is active, and the version in force
(``Approval.version``) uses a consent procedure with a notice and a chance to refuse. Everything the
page shows is read from that version's frozen snapshot, never from the protocol's live fields, which
may hold an amendment being drafted. Earlier versions of the notice are the earlier versions that
were in force under the same approval: the approved application and each approved amendment."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from research_governance.accounts.models import Role, RoleMembership
from research_governance.core.i18n import localized
from research_governance.protocols.application import display_value
from research_governance.protocols.models import ConsentProcedure, DataRecipient, Protocol
from research_governance.reviews.models import Approval, Submission
from research_governance.reviews.workflow import APPROVING_OUTCOMES, ApprovalStatus, SubmissionKind

# JP-IC-10: the procedures that rely on a notice with a chance to refuse.
NOTICE_PROCEDURES = (
    ConsentProcedure.OPT_OUT,
    ConsentProcedure.BROAD_CONSENT_WITH_NOTICE,
    ConsentProcedure.PSEUDONYMISED_WITH_NOTICE,
)
HOME_COUNTRY = "JP"


def public_notices(query: str = "") -> QuerySet[Approval]:
    """The approvals whose notice is public, one per study, in one query (no per-row lookups):
    the protocol's latest approval, active, with a notice procedure in the version in force."""
    latest = Approval.objects.filter(protocol=OuterRef("protocol")).order_by("-created_at", "-id").values("pk")[:1]
    approvals = Approval.objects.filter(
        pk=Subquery(latest),
        status=ApprovalStatus.ACTIVE,
        version__snapshot__form__consent_procedure__in=[str(p) for p in NOTICE_PROCEDURES],
    )
    if query:
        approvals = approvals.filter(
            Q(version__snapshot__form__title_ja__icontains=query)
            | Q(version__snapshot__form__title_en__icontains=query)
            | Q(protocol__reference__icontains=query)
        )
    return approvals.select_related("version", "protocol__institution").order_by("-valid_from", "-id")


def notice_approval(protocol: Protocol) -> Approval | None:
    """The approval under which the protocol's notice is public, or None."""
    return public_notices().filter(protocol=protocol).first()


def has_public_notice(*, protocol: Protocol) -> bool:
    """Whether the study takes refusals through its public notice (registered on agreements' hook)."""
    return notice_approval(protocol) is not None


def notice_for_reference(reference: str) -> Approval | None:
    return (
        public_notices().filter(protocol__reference=reference).select_related("decision__submission__version").first()
    )


@dataclass(frozen=True)
class NoticeVersion:
    number: int
    in_force_since: datetime | date
    snapshot: dict[str, Any]


def notice_versions(approval: Approval) -> list[NoticeVersion]:
    """Every version of the notice in force under the approval, newest first: the approved
    application and each approved amendment that took effect (with the head's permission where
    it was needed), up to the version in force. One query."""
    first = approval.decision.submission.version.number
    submissions = (
        Submission.objects.filter(
            protocol_id=approval.protocol_id,
            kind__in=[SubmissionKind.INITIAL, SubmissionKind.AMENDMENT],
            version__number__gte=first,
            version__number__lte=approval.version.number,
            decision__outcome__in=list(APPROVING_OUTCOMES),
            version__snapshot__form__consent_procedure__in=[str(p) for p in NOTICE_PROCEDURES],
        )
        .filter(Q(decision__needs_permission=False) | Q(decision__permission__granted=True))
        .select_related("version", "decision__permission")
        .order_by("-version__number")
    )
    versions = []
    for submission in submissions:
        decision = submission.decision
        permission = getattr(decision, "permission", None) if decision.needs_permission else None
        since = permission.at if permission is not None else decision.decided_at
        versions.append(NoticeVersion(submission.version.number, since, submission.version.snapshot))
    if not versions or versions[0].number != approval.version.number:
        # The version in force always has a notice (the list query found it through its decision,
        # unless the approval was made otherwise): it is in force since the approval began.
        versions.insert(0, NoticeVersion(approval.version.number, approval.valid_from, approval.version.snapshot))
    return versions


def _person(entry: dict[str, Any]) -> str:
    return localized(entry.get("name_ja", ""), entry.get("name_latin", ""))


def institution_head(institution_id: int) -> str:
    membership = (
        RoleMembership.objects.current()
        .filter(institution_id=institution_id, role=Role.HEAD)
        .select_related("user")
        .order_by("id")
        .first()
    )
    return membership.user.display_name if membership else ""


def notice_content(approval: Approval, version: NoticeVersion) -> dict[str, Any]:
    """The items of the notice (JP-IC-10), from the version's snapshot."""
    snapshot = version.snapshot
    form = snapshot.get("form", {})
    kinds = dict(DataRecipient.Kind.choices)
    recipients = [
        {
            "name": recipient.get("name", ""),
            "kind": kinds.get(recipient.get("kind"), recipient.get("kind", "")),
            "country": recipient.get("country", ""),
            "equivalent_measures": recipient.get("equivalent_measures", False),
        }
        for recipient in snapshot.get("recipients", [])
    ]
    institution = approval.protocol.institution
    return {
        "reference": snapshot.get("reference") or approval.protocol.reference,
        "title": localized(form.get("title_ja", ""), form.get("title_en", "")),
        "summary": form.get("summary", ""),
        "notice_text": form.get("opt_out_notice_text", ""),
        "consent_procedure": display_value("consent_procedure", form.get("consent_procedure")),
        "acquisition": display_value("acquisition", form.get("acquisition")),
        "deidentification": display_value("deidentification", form.get("deidentification")),
        "uses_samples": form.get("uses_samples"),
        "special_care": form.get("special_care_personal_info"),
        "personally_referable": form.get("personally_referable"),
        "planned_start": _date(form.get("planned_start")),
        "planned_end": _date(form.get("planned_end")),
        "principal_investigator": _person(snapshot.get("principal_investigator", {})),
        "institution": institution.name,
        "institution_head": institution_head(institution.pk),
        "sites": [site.get("name", "") for site in snapshot.get("sites", [])],
        "recipients": recipients,
        # JP-IC-10: foreign provision is stated where relevant.
        "foreign_recipients": [r for r in recipients if (r["country"] or HOME_COUNTRY).upper() != HOME_COUNTRY],
    }


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
