"""What a letter says, as plain values: built from the database for a real letter, or from
sample data for a preview. The templates only lay these values out."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import segno
from django.urls import reverse
from django.utils import timezone, translation

from research_governance.accounts.models import Role, RoleMembership, User
from research_governance.committees.models import Committee
from research_governance.core.site import absolute_url
from research_governance.reviews.models import Condition, Decision
from research_governance.reviews.workflow import APPROVING_OUTCOMES, DecisionOutcome, ReviewRoute, SubmissionKind

from .models import KIND_CODES, LetterKind

# The letter templates name our own static files with this scheme; rendering.LetterURLFetcher
# serves them from the staticfiles finders (and nothing from the network or the file system).
STATIC_SCHEME = "static:"


def static_url(path: str) -> str:
    """The URL a letter template uses for one of our static files, e.g. ``letters/letter.css``."""
    return f"{STATIC_SCHEME}{path}"


def _pick(language: str, ja: str, en: str) -> str:
    return (ja or en) if language == "ja" else (en or ja)


@dataclass
class Signature:
    """US-R-01: printed name, date and time, and meaning."""

    name: str
    title: str
    at: datetime
    meaning: str  # a Condition.Meaning value
    meaning_label: str = ""


@dataclass
class ConditionLine:
    number: int
    text: str
    response: str = ""
    sign_off: Signature | None = None


@dataclass
class LetterContent:
    kind: str
    language: str
    reference: str
    verification_code: str
    verify_url: str
    issued_at: datetime
    institution: str
    committee: str
    addressee: str
    addressee_affiliation: str
    protocol_reference: str
    protocol_title: str
    submission_kind: str
    version_number: int
    round: int
    route: str
    outcome: str
    outcome_label: str
    decided_at: datetime
    reasons: str
    votes: dict[str, int] | None
    conditions: list[ConditionLine]
    signature: Signature
    approval_reference: str = ""
    valid_from: date | None = None
    valid_until: date | None = None
    # JP-ERC-13: an approving opinion still waits for the head's permission.
    awaits_permission: bool = False
    permission_reasons: str = ""
    version: int = 1
    replaces_reference: str = ""
    replaces_issued_at: datetime | None = None
    correction_reason: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def approving(self) -> bool:
        return self.outcome in APPROVING_OUTCOMES

    def template_name(self) -> str:
        return f"letters/{self.language}/{self.kind}.html"


def verify_path(code: str) -> str:
    return reverse("letters:verify", args=[code])


def verify_url(code: str) -> str:
    """The absolute address printed on the letter and in its QR code (from SITE_URL)."""
    return absolute_url(verify_path(code))


def qr_data_uri(text: str) -> str:
    return segno.make(text, error="m").svg_data_uri(scale=3, border=2)


def _meaning_label(meaning: str, language: str) -> str:
    with translation.override(language):
        return str(Condition.Meaning(meaning).label)


def _role_title(user: User, institution_id: int, language: str) -> str:
    roles = set(
        RoleMembership.objects.current()
        .filter(user=user, institution_id=institution_id, role__in=[Role.CHAIR, Role.HEAD, Role.SECRETARIAT])
        .values_list("role", flat=True)
    )
    for role in (Role.HEAD, Role.CHAIR, Role.SECRETARIAT):
        if role in roles:
            with translation.override(language):
                return str(Role(role).label)
    return ""


def signature_for(decision: Decision, kind: str, language: str) -> tuple[User, Signature]:
    """Who signs the letter, when, and what the signature means (US-R-01).

    The committee's letter is signed by whoever recorded the decision, at that time: its meaning is
    approval for an approving decision, review otherwise. The head's letter is signed by the head,
    at the permission: approval when permitting, responsibility when refusing."""
    protocol = decision.submission.protocol
    if kind == LetterKind.DECISION:
        signer, at = decision.decided_by, decision.decided_at
        meaning = Condition.Meaning.APPROVAL if decision.outcome in APPROVING_OUTCOMES else Condition.Meaning.REVIEW
    else:
        permission = decision.permission
        signer, at = permission.by, permission.at
        meaning = Condition.Meaning.APPROVAL if kind == LetterKind.PERMISSION else Condition.Meaning.RESPONSIBILITY
    with translation.override(language):
        name = signer.display_name
    return signer, Signature(
        name=name,
        title=_role_title(signer, protocol.institution_id, language),
        at=at,
        meaning=meaning,
        meaning_label=_meaning_label(meaning, language),
    )


def decision_content(
    decision: Decision,
    *,
    kind: str,
    language: str,
    reference: str,
    verification_code: str,
    issued_at: datetime,
    version: int = 1,
    replaces: Any = None,
    correction_reason: str = "",
) -> LetterContent:
    """The content of the letter reporting ``decision`` (``kind``: decision, permission, refusal)."""
    submission = decision.submission
    protocol = submission.protocol
    form = submission.version.snapshot.get("form", {})
    pi = protocol.principal_investigator
    committee = (
        Committee.objects.filter(institution_id=protocol.institution_id, kind=Committee.Kind.ETHICS)
        .order_by("id")
        .first()
    )
    approval = getattr(decision, "approval", None)
    _signer, signature = signature_for(decision, kind, language)
    conditions = []
    for condition in decision.conditions.select_related("signed_off_by").order_by("number"):
        sign_off = None
        if condition.signed_off_at:
            sign_off = Signature(
                name=condition.signature_name,
                title="",
                at=condition.signed_off_at,
                meaning=condition.signature_meaning,
                meaning_label=_meaning_label(condition.signature_meaning, language)
                if condition.signature_meaning
                else "",
            )
        conditions.append(
            ConditionLine(number=condition.number, text=condition.text, response=condition.response, sign_off=sign_off)
        )
    permission = getattr(decision, "permission", None)
    with translation.override(language):
        department = pi.department.name if pi.department is not None else ""
        content = LetterContent(
            kind=kind,
            language=language,
            reference=reference,
            verification_code=verification_code,
            verify_url=verify_url(verification_code),
            issued_at=issued_at,
            institution=protocol.institution.name,
            committee=committee.name_ja if committee and language == "ja" else (committee.name_en if committee else ""),
            addressee=_pick(language, pi.name_ja, pi.name_latin) or pi.email,
            addressee_affiliation=pi.affiliation or department,
            protocol_reference=protocol.reference or "",
            protocol_title=_pick(
                language, form.get("title_ja") or protocol.title_ja, form.get("title_en") or protocol.title_en
            ),
            submission_kind=str(submission.get_kind_display()),
            version_number=submission.version.number,
            round=submission.round,
            route=str(decision.get_route_display()),
            outcome=decision.outcome,
            outcome_label=str(decision.get_outcome_display()),
            decided_at=decision.decided_at,
            reasons=decision.reasons,
            votes=decision.votes,
            conditions=conditions,
            signature=signature,
            approval_reference=approval.reference if approval else "",
            valid_from=approval.valid_from if approval else None,
            valid_until=approval.valid_until if approval else None,
            awaits_permission=decision.needs_permission and permission is None,
            permission_reasons=permission.reasons if permission else "",
            version=version,
            replaces_reference=replaces.reference if replaces else "",
            replaces_issued_at=replaces.created_at if replaces else None,
            correction_reason=correction_reason,
        )
    return content


SAMPLE_REASONS = {
    "ja": (
        "研究の科学的合理性、研究対象者への負担とリスク、インフォームド・コンセントの手続及び個人情報の保護について"
        "審査した結果、下記の条件を付して承認することとした。"
    ),
    "en": (
        "Having reviewed the scientific validity, the burden and risks to participants, the informed consent "
        "procedure and the protection of personal information, the committee approves the research on the "
        "conditions below."
    ),
}
SAMPLE_CONDITIONS = {
    "ja": [
        "説明文書の「研究への参加の任意性」の項に、同意撤回の方法と連絡先を明記すること。",
        "検体の保管期間と廃棄の方法を研究計画書に記載すること。",
        "外部の解析委託先との間で、個人情報の取扱いに関する契約を締結し、その写しを提出すること。",
        "重篤な有害事象が発生した場合の報告手順を研究計画書に追記すること。",
        "研究対象者の募集に用いるポスターの案を提出すること。",
        "データの匿名化の手順と対応表の管理者を明記すること。",
    ],
    "en": [
        "State in the information sheet how consent can be withdrawn and whom to contact.",
        "Give the storage period of the samples and how they will be disposed of.",
        "Conclude a data processing agreement with the external analysis contractor and submit a copy.",
        "Add to the protocol how serious adverse events will be reported.",
        "Submit the draft of the recruitment poster.",
        "State how the data will be pseudonymised and who keeps the key.",
    ],
}


def sample_content(language: str, kind: str = LetterKind.DECISION, *, long: bool = False) -> LetterContent:
    """A letter with made-up data, for previewing the templates (no database rows).

    ``long`` repeats the reasons and conditions so that the letter runs to two pages."""
    now = timezone.now().replace(microsecond=0)
    code = "SAMPLE-not-a-real-letter-0000000000"
    ja = language == "ja"
    conditions_text = SAMPLE_CONDITIONS[language] * (2 if long else 1)
    conditions = [
        ConditionLine(
            number=number,
            text=text,
            response="対応しました。" if ja else "Done.",
            sign_off=Signature(
                name="倫理 花子" if ja else "Hanako Rinri",
                title="",
                at=now,
                meaning=Condition.Meaning.APPROVAL,
                meaning_label=_meaning_label(Condition.Meaning.APPROVAL, language),
            )
            if kind != LetterKind.DECISION
            else None,
        )
        for number, text in enumerate(conditions_text, 1)
    ]
    permitting = kind == LetterKind.PERMISSION
    if kind == LetterKind.DECISION:
        signer_name, title, meaning = ("倫理 花子" if ja else "Hanako Rinri"), Role.CHAIR, Condition.Meaning.APPROVAL
    else:
        signer_name, title = ("研究 太郎" if ja else "Taro Kenkyu"), Role.HEAD
        meaning = Condition.Meaning.APPROVAL if permitting else Condition.Meaning.RESPONSIBILITY
    with translation.override(language):
        return LetterContent(
            kind=kind,
            language=language,
            reference=f"L{now:%Y}-{KIND_CODES[LetterKind(kind)]}000000-{language.upper()}",
            verification_code=code,
            verify_url=verify_url(code),
            issued_at=now,
            institution="見本大学病院" if ja else "Sample University Hospital",
            committee="見本大学病院 倫理審査委員会" if ja else "Sample University Hospital Ethics Committee",
            addressee="見本 次郎" if ja else "Jiro Mihon",
            addressee_affiliation="消化器内科" if ja else "Department of Gastroenterology",
            protocol_reference="2026-00000",
            protocol_title=(
                "大腸がん患者の血中バイオマーカーによる再発予測に関する多機関共同観察研究"
                if ja
                else "A multi-centre observational study of blood biomarkers predicting recurrence of colorectal cancer"
            ),
            submission_kind=str(SubmissionKind.INITIAL.label),
            version_number=1,
            round=1,
            route=str(ReviewRoute.FULL_BOARD.label),
            outcome=DecisionOutcome.APPROVE_WITH_CONDITIONS,
            outcome_label=str(DecisionOutcome.APPROVE_WITH_CONDITIONS.label),
            decided_at=now,
            reasons=(SAMPLE_REASONS[language] + "\n") * (4 if long else 1),
            votes={"for": 7, "against": 0, "abstain": 1},
            conditions=conditions,
            signature=Signature(
                name=signer_name,
                title=str(title.label),
                at=now,
                meaning=meaning,
                meaning_label=_meaning_label(meaning, language),
            ),
            approval_reference="A-2026-00000-1" if permitting else "",
            valid_from=timezone.localdate() if permitting else None,
            valid_until=timezone.localdate() + timedelta(days=364) if permitting else None,
            awaits_permission=kind == LetterKind.DECISION,
            permission_reasons=""
            if permitting
            else ("" if kind == LetterKind.DECISION else ("予算の裏付けがない。" if ja else "No funding is secured.")),
        )
