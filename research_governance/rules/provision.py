"""Checks on providing a dataset to a recipient: the approval it depends on, the
de-identification level shared, JP-IC-08 (provision to another institution), the APPI
ban on providing pseudonymously processed information to a third party (REGULATORY.md
section 4), and the foreign-recipient rules JP-IC-09 / XB-01 and XB-02.

Plain dataclasses in, a list of checks out, so the agreements app can feed them from its
models. Every check is always present, so a page can show the whole list; a check that
does not apply passes and its reason says why. `assess_access` adds the DUO match
(rules.duo) and combines both into one summary.

Choices where REGULATORY.md is silent:
- Rule IDs: the pseudonymised-information ban is enforced under JP-IC-08, as consent.py
  does; the approval check names JP-ERC-13 (research may run only once approved and
  permitted) under the JP rule set and US-IRB-07 (continuing review: an approval lapses)
  under the US one; the level check and the US provision check name US-IRB-05, the rule
  consent.py uses for US consent.
- JP-IC-08 grounds (a) and (b) need consent to be hard to obtain (DatasetFacts.
  consent_obtainable, strict default True); (a) is read for data as "the level shared is
  non-identifiable, anonymously processed or aggregate", (b) as "anonymously processed",
  (c) as the dataset's personally-referable flag. Opt-out needs the rulebook's
  JP-IC-08.opt_out_enabled switch and a published notice (DatasetFacts.opt_out_notice).
- Within the same institution nothing is provided: JP-IC-08, the pseudonymised ban,
  JP-IC-09 and XB-01 pass as not applicable. XB-02 is judged by the recipient's country
  whatever the institution (as rules.foreign does).
- The special-care and genetic flags are carried for the record; no provision rule in
  REGULATORY.md turns on them yet."""

from dataclasses import dataclass
from typing import TypedDict, TypeVar

from .duo import DataUseScope, DuoMatch, IntendedUse, match_use
from .errors import InvalidInput
from .facts import ForeignRecipient, StudyFacts
from .foreign import ForeignPart, assess_foreign
from .reasons import Reason, reason, unverified_reason
from .rulebook import Rulebook, load_rulebook
from .vocabulary import (
    DEIDENTIFICATION_LABELS,
    NOT_IDENTIFIABLE,
    Acquisition,
    Deidentification,
    Invasiveness,
    RuleSet,
)

Level = Deidentification
E = TypeVar("E", RuleSet, Deidentification)
_RANK = {level: index for index, level in enumerate(Deidentification)}  # most identifying first


@dataclass(frozen=True)
class DatasetFacts:
    """What the provider knows of the dataset. Codes are the vocabulary's strings."""

    deidentification: str  # Deidentification: identified ... aggregate
    consent_to_provision: bool  # subjects consented to provision to other institutions
    approval_active: bool  # the ethics approval the dataset depends on is in force
    rule_set: str = "JP"  # RuleSet
    special_care: bool = False
    genetic: bool = False
    personally_referable: bool = False  # JP-IC-08 (c): the recipient will not make it personal
    foreign_provision_consent: bool = False  # consent given with the JP-IC-09 information
    data_origin_eea: bool = False
    consent_obtainable: bool = True  # JP-IC-08 (a)(b) need consent to be hard to obtain
    opt_out_notice: bool = False  # an opt-out notice (JP-IC-10) covers this provision


@dataclass(frozen=True)
class RequestFacts:
    """The recipient and what is to be shared."""

    third_party: bool  # the recipient is another institution (False: the same institution)
    country: str  # recipient's country, ISO 3166-1 alpha-2
    deidentification: str  # the level to be shared
    equivalent_measures: bool = False  # JP-IC-09: the recipient keeps an equivalent-protection system
    standard_contractual_clauses: bool = False  # XB-02: SCCs (Art. 46) in place
    explicit_consent_art49: bool = False  # XB-02: explicit consent after being told the risks (Art. 49(1)(a))


class Check(TypedDict):
    id: str
    passed: bool
    obligation: bool  # passed, and binds the recipient or the provider (a term to honour)
    rule_id: str  # a REGULATORY.md rule ID, or for DUO terms the DUO id
    reason: Reason
    list_version: str | None  # the country list a foreign check used; None otherwise


class AccessAssessment(TypedDict):
    permitted: bool
    checks: list[Check]  # the DUO terms first (ids "duo:NPU"...), then the provision checks
    unmet: list[str]  # DUO codes unmet, then rule IDs of failed provision checks
    obligations: list[str]  # DUO codes that are obligations, then provision obligations' rule IDs
    duo: DuoMatch
    rulebook_version: str
    country_list_version: str
    duo_release: str


# Check ids, stable for the UI and tests.
APPROVAL_ACTIVE = "approval_active"
SHARED_LEVEL = "shared_level"
PSEUDONYMISED = "pseudonymised_not_to_third_party"
PROVISION_CONSENT = "provision_to_other_institution"
FOREIGN_CONSENT = "foreign_recipient"
FOREIGN_APPI = "foreign_recipient_appi"
EEA_TRANSFER = "eea_transfer"
PROVISION_RECORD = "provision_record"


def check_provision(dataset: DatasetFacts, request: RequestFacts, *, rulebook: Rulebook | None = None) -> list[Check]:
    """The provision checks, in a fixed order. Raises InvalidInput naming the field."""
    rule_set, held, shared = _validate(dataset, request)
    book = rulebook or load_rulebook()
    foreign = _foreign_part(dataset, request, rule_set, book)
    checks = [
        _approval(dataset, rule_set),
        _shared_level(held, shared, rule_set),
        _pseudonymised(request, shared, rule_set),
        _provision(dataset, request, shared, rule_set, book),
        _foreign_consent(dataset, request, rule_set, foreign, book),
        _foreign_appi(dataset, request, rule_set, foreign, book),
        _eea_transfer(dataset, request, foreign, book),
    ]
    if rule_set is RuleSet.JP and request.third_party:
        checks.append(
            _check(
                PROVISION_RECORD,
                True,
                reason(
                    "JP-IC-12",
                    "Keep a provision record (date, items, medium, recipient, who provided) for this provision, for at "
                    "least three years.",
                    "この提供について提供に関する記録（日付、項目、媒体、提供先、提供者）を作成し、少なくとも3年間保管する。",
                ),
                obligation=True,
            )
        )
    return checks


def assess_access(
    scope: DataUseScope,
    use: IntendedUse,
    dataset: DatasetFacts,
    request: RequestFacts,
    *,
    rulebook: Rulebook | None = None,
) -> AccessAssessment:
    """The DUO match and the provision checks as one summary for the request page and the
    committee. Permitted only when no DUO term is unmet and every provision check passes."""
    book = rulebook or load_rulebook()
    duo = match_use(scope, use)
    duo_checks = [
        _check(
            f"duo:{term['code']}",
            term["status"] != "unmet",
            term["reason"],
            obligation=term["status"] == "obligation",
        )
        for term in duo["terms"]
    ]
    provision = check_provision(dataset, request, rulebook=book)
    failed = [c["rule_id"] for c in provision if not c["passed"]]
    owed = [c["rule_id"] for c in provision if c["obligation"]]
    return {
        "permitted": duo["permitted"] and not failed,
        "checks": duo_checks + provision,
        "unmet": list(dict.fromkeys([*duo["unmet"], *failed])),
        "obligations": list(dict.fromkeys([*duo["obligations"], *owed])),
        "duo": duo,
        "rulebook_version": book.version,
        "country_list_version": book.list_version,
        "duo_release": duo["duo_release"],
    }


# --- the checks ---------------------------------------------------------------------------


def _approval(dataset: DatasetFacts, rule_set: RuleSet) -> Check:
    rule_id = "JP-ERC-13" if rule_set is RuleSet.JP else "US-IRB-07"
    if dataset.approval_active:
        return _check(
            APPROVAL_ACTIVE,
            True,
            reason(
                rule_id,
                "The ethics approval the dataset depends on is in force.",
                "データセットが依拠する倫理審査の承認は有効である。",
            ),
        )
    return _check(
        APPROVAL_ACTIVE,
        False,
        reason(
            rule_id,
            "The ethics approval the dataset depends on is not in force (suspended, expired or closed): no data may be "
            "provided until it is.",
            "データセットが依拠する倫理審査の承認が有効でない（停止、期限切れ又は終了）ため、有効になるまでデータを提供できない。",
        ),
    )


def _shared_level(held: Level, shared: Level, rule_set: RuleSet) -> Check:
    rule_id = "JP-IC-08" if rule_set is RuleSet.JP else "US-IRB-05"
    held_en, held_ja = DEIDENTIFICATION_LABELS[held]
    shared_en, shared_ja = DEIDENTIFICATION_LABELS[shared]
    if _RANK[shared] < _RANK[held]:
        return _check(
            SHARED_LEVEL,
            False,
            reason(
                rule_id,
                f"The level to be shared ({shared_en}) is more identifying than the dataset's ({held_en}): the data "
                "cannot be shared at a level the dataset does not hold.",
                f"提供する加工の程度（{shared_ja}）はデータセットの程度（{held_ja}）より個人を識別しやすく、"
                "データセットが保有しない程度での提供はできない。",
            ),
        )
    return _check(
        SHARED_LEVEL,
        True,
        reason(
            rule_id,
            f"The level to be shared ({shared_en}) is no more identifying than the dataset's ({held_en}).",
            f"提供する加工の程度（{shared_ja}）はデータセットの程度（{held_ja}）より個人を識別しやすくない。",
        ),
    )


def _pseudonymised(request: RequestFacts, shared: Level, rule_set: RuleSet) -> Check:
    # JP-IC-08 with REGULATORY.md section 4: pseudonymously processed information (仮名加工情報)
    # may not be provided to a third party, consent or not.
    if rule_set is not RuleSet.JP:
        return _check(
            PSEUDONYMISED,
            True,
            reason(
                "JP-IC-08",
                "The APPI ban on providing pseudonymously processed information does not apply under the US rule set.",
                "米国のルールセットでは、仮名加工情報の第三者提供を禁じる個人情報保護法の規定は適用されない。",
            ),
        )
    if not request.third_party:
        return _check(
            PSEUDONYMISED,
            True,
            reason(
                "JP-IC-08",
                "The recipient is this institution: not a provision to a third party.",
                "提供先は自機関であり、第三者への提供には当たらない。",
            ),
        )
    if shared is Level.PSEUDONYMISED:
        return _check(
            PSEUDONYMISED,
            False,
            reason(
                "JP-IC-08",
                "Pseudonymously processed information (仮名加工情報) may not be provided to a third party under the "
                "APPI (REGULATORY.md section 4), even with consent: share it non-identifiable, anonymously processed "
                "or aggregate instead.",
                "仮名加工情報は、同意の有無にかかわらず、個人情報保護法により第三者への提供が禁止されている"
                "（REGULATORY.md 第4節）。特定の個人を識別できない情報、匿名加工情報又は集計情報として提供する。",
            ),
        )
    return _check(
        PSEUDONYMISED,
        True,
        reason(
            "JP-IC-08",
            "The data to be shared are not pseudonymously processed information.",
            "提供するデータは仮名加工情報ではない。",
        ),
    )


def _provision(dataset: DatasetFacts, request: RequestFacts, shared: Level, rule_set: RuleSet, book: Rulebook) -> Check:
    if rule_set is RuleSet.US:
        return _provision_us(dataset, request, shared)
    # JP-IC-08: providing existing information to another institution.
    if not request.third_party:
        return _check(
            PROVISION_CONSENT,
            True,
            reason(
                "JP-IC-08",
                "The recipient is this institution: not a provision to another institution.",
                "提供先は自機関であり、他の研究機関への提供には当たらない。",
            ),
        )
    if dataset.consent_to_provision:
        return _check(
            PROVISION_CONSENT,
            True,
            reason(
                "JP-IC-08",
                "The subjects consented to provision to other institutions.",
                "研究対象者は他の研究機関への提供に同意している。",
            ),
        )
    grounds: list[tuple[str, str]] = []
    if not dataset.consent_obtainable and shared in NOT_IDENTIFIABLE - {Level.ANONYMOUSLY_PROCESSED}:
        grounds.append(
            (
                "(a) the data shared are not identifiable and the recipient gets no personal information from them",
                "(a) 提供するデータから特定の個人を識別できず、提供先でも個人情報が得られない",
            )
        )
    if not dataset.consent_obtainable and shared is Level.ANONYMOUSLY_PROCESSED:
        grounds.append(
            ("(b) the data shared are anonymously processed information", "(b) 提供するデータが匿名加工情報である")
        )
    if dataset.personally_referable:
        grounds.append(
            (
                "(c) they are personally referable information the recipient will not turn into personal information",
                "(c) 提供先が個人情報として取得することが想定されない個人関連情報である",
            )
        )
    if grounds:
        return _check(
            PROVISION_CONSENT,
            True,
            reason(
                "JP-IC-08",
                f"There is no consent to provision, but {'; '.join(en for en, _ in grounds)}: provision without "
                "consent is allowed; report it to the head of this institution.",
                f"提供への同意はないが、{'、'.join(ja for _, ja in grounds)}ため、同意を受けない提供が認められる。"
                "提供元の研究機関の長に報告する。",
            ),
        )
    if book.flag("JP-IC-08", "opt_out_enabled") and dataset.opt_out_notice:
        return _check(
            PROVISION_CONSENT,
            True,
            unverified_reason(
                "JP-IC-08",
                "There is no consent to provision, but an opt-out notice covers it: opt-out may be used only with a "
                "special reason, such as use for academic research.",
                "提供への同意はないが、オプトアウトの通知・公開が行われている。オプトアウトによる提供は、"
                "学術研究の用に供する等の特段の理由がある場合に限り認められる。",
            ),
        )
    hard_en, hard_ja = (
        ("consent can still be obtained", "同意を受けることができる")
        if dataset.consent_obtainable
        else ("none of the grounds (a)-(c) applies", "要件(a)〜(c)のいずれにも該当しない")
    )
    return _check(
        PROVISION_CONSENT,
        False,
        reason(
            "JP-IC-08",
            f"The subjects did not consent to provision to other institutions, {hard_en}, and no opt-out notice covers "
            "it: obtain consent, or share the data at a level that allows provision without consent.",
            f"研究対象者は他の研究機関への提供に同意しておらず、{hard_ja}ため同意を受けない提供はできず、"
            "オプトアウトの通知・公開も行われていない。同意を受けるか、同意なしで提供できる加工の程度で提供する。",
        ),
    )


def _provision_us(dataset: DatasetFacts, request: RequestFacts, shared: Level) -> Check:
    shared_en, shared_ja = DEIDENTIFICATION_LABELS[shared]
    if not request.third_party or dataset.consent_to_provision or shared in NOT_IDENTIFIABLE:
        why_en, why_ja = (
            ("the recipient is this institution", "提供先は自機関である")
            if not request.third_party
            else ("the subjects consented to sharing", "研究対象者は提供に同意している")
            if dataset.consent_to_provision
            else (
                f"the data shared are not identifiable ({shared_en})",
                f"提供するデータは個人を識別できない（{shared_ja}）",
            )
        )
        return _check(
            PROVISION_CONSENT,
            True,
            reason(
                "US-IRB-05",
                f"Sharing is allowed: {why_en}; the recipient's IRB reviews its own use.",
                f"{why_ja}ため提供できる。提供先での利用は提供先のIRBが審査する。",
            ),
        )
    return _check(
        PROVISION_CONSENT,
        False,
        reason(
            "US-IRB-05",
            f"Identifiable data ({shared_en}) would be shared without the subjects' consent: the IRB must approve a "
            "waiver (see 45 CFR 46.116(f)), or share the data de-identified.",
            f"個人を識別できるデータ（{shared_ja}）を研究対象者の同意なく提供することになるため、"
            "IRBによる同意の免除の承認（45 CFR 46.116(f)参照）が必要、又は個人を識別できない形で提供する。",
        ),
    )


def _foreign_consent(
    dataset: DatasetFacts, request: RequestFacts, rule_set: RuleSet, part: ForeignPart, book: Rulebook
) -> Check:
    version = book.designated_list.version
    not_applicable = _foreign_not_applicable(request, rule_set)
    if not_applicable:
        return _check(FOREIGN_CONSENT, True, reason("JP-IC-09", *not_applicable), list_version=version)
    en, ja = _texts(part, "JP-IC-09")
    if not part["requires_consent_with_information"]:
        return _check(FOREIGN_CONSENT, True, reason("JP-IC-09", en, ja), list_version=version)
    if dataset.foreign_provision_consent:
        return _check(
            FOREIGN_CONSENT,
            True,
            reason(
                "JP-IC-09",
                en + " The subjects gave that consent with the information.",
                ja + "研究対象者はこれらの情報の提供を受けた上で同意している。",
            ),
            list_version=version,
        )
    return _check(
        FOREIGN_CONSENT,
        False,
        reason(
            "JP-IC-09",
            en + " The subjects' consent was not given with that information.",
            ja + "研究対象者の同意はこれらの情報の提供を受けた上でのものではない。",
        ),
        list_version=version,
    )


def _foreign_appi(
    dataset: DatasetFacts, request: RequestFacts, rule_set: RuleSet, part: ForeignPart, book: Rulebook
) -> Check:
    # XB-01 gives the same verdict as JP-IC-09 from the APPI side; kept apart so each rule
    # has its own line and ID on the page.
    version = book.designated_list.version
    if rule_set is RuleSet.US:
        return _check(FOREIGN_APPI, True, reason("XB-01", *_texts(part, "XB-01")), list_version=version)
    not_applicable = _foreign_not_applicable(request, rule_set)
    if not_applicable:
        return _check(FOREIGN_APPI, True, reason("XB-01", *not_applicable), list_version=version)
    en, ja = _texts(part, "XB-01")
    passed = not part["requires_consent_with_information"] or dataset.foreign_provision_consent
    if part["requires_consent_with_information"]:
        en += " That consent was given." if passed else " That consent was not given."
        ja += "その同意を受けている。" if passed else "その同意を受けていない。"
    return _check(FOREIGN_APPI, passed, reason("XB-01", en, ja), list_version=version)


def _eea_transfer(dataset: DatasetFacts, request: RequestFacts, part: ForeignPart, book: Rulebook) -> Check:
    version = book.adequacy_list.version
    if not dataset.data_origin_eea:
        return _check(
            EEA_TRANSFER,
            True,
            reason(
                "XB-02",
                "The data do not come from the EEA: no GDPR transfer requirement.",
                "データはEEA由来ではないため、GDPRの移転要件はない。",
            ),
            list_version=version,
        )
    en, ja = _texts(part, "XB-02")
    if not part["gdpr_transfer_basis_required"] or part["gdpr_adequacy"]:
        return _check(EEA_TRANSFER, True, reason("XB-02", en, ja), list_version=version)
    if request.standard_contractual_clauses:
        return _check(
            EEA_TRANSFER,
            True,
            reason(
                "XB-02",
                en + " Standard contractual clauses (Art. 46) are in place.",
                ja + "標準契約条項（第46条）を締結している。",
            ),
            list_version=version,
        )
    if request.explicit_consent_art49:
        return _check(
            EEA_TRANSFER,
            True,
            reason(
                "XB-02",
                en + " The subjects gave explicit consent after being told the risks (Art. 49(1)(a)); this derogation "
                "is narrow, so the committee confirms it fits.",
                ja + "研究対象者はリスクの説明を受けた上で明示的に同意している（第49条第1項(a)）。"
                "この例外は限定的なため、委員会が適合性を確認する。",
            ),
            list_version=version,
        )
    return _check(
        EEA_TRANSFER,
        False,
        reason(
            "XB-02",
            en + " Neither standard contractual clauses nor explicit consent are in place.",
            ja + "標準契約条項も明示的な同意もない。",
        ),
        list_version=version,
    )


# --- helpers --------------------------------------------------------------------------------


def _foreign_not_applicable(request: RequestFacts, rule_set: RuleSet) -> tuple[str, str] | None:
    if rule_set is RuleSet.US:
        return (
            "The APPI rules on foreign provision do not apply under the US rule set.",
            "米国のルールセットでは、個人情報保護法の外国にある者への提供の規定は適用されない。",
        )
    if not request.third_party:
        return (
            "The recipient is this institution: not a provision to a third party abroad.",
            "提供先は自機関であり、外国にある第三者への提供には当たらない。",
        )
    if request.country == "JP":
        return (
            "The recipient is in Japan: not a foreign recipient.",
            "提供先は日本国内にあり、外国にある者への提供には当たらない。",
        )
    return None


def _foreign_part(dataset: DatasetFacts, request: RequestFacts, rule_set: RuleSet, book: Rulebook) -> ForeignPart:
    """rules.foreign's verdict for the recipient: the same reasons and country lists as a
    study's assessment. Only rule_set, data_origin_eea and the recipient matter to it."""
    facts = StudyFacts(
        rule_set=rule_set,
        acquisition=Acquisition.PROVIDE_TO_OTHER,
        uses_samples=False,
        invasiveness=Invasiveness.NONE,
        interventional=False,
        special_care_personal_info=dataset.special_care,
        deidentification=Deidentification(request.deidentification),
        personally_referable=dataset.personally_referable,
        consent_obtainable=dataset.consent_obtainable,
        foreign_recipients=(ForeignRecipient(request.country, request.equivalent_measures),),
        multi_site_already_approved=False,
        minor_change=False,
        data_origin_eea=dataset.data_origin_eea,
    )
    return assess_foreign(facts, book)[0]


def _texts(part: ForeignPart, rule_id: str) -> tuple[str, str]:
    reasons = [r for r in part["reasons"] if r["rule_id"] == rule_id]
    return " ".join(r["en"] for r in reasons), "".join(r["ja"] for r in reasons)


def _check(
    check_id: str, passed: bool, why: Reason, *, obligation: bool = False, list_version: str | None = None
) -> Check:
    return {
        "id": check_id,
        "passed": passed,
        "obligation": obligation,
        "rule_id": why["rule_id"],
        "reason": why,
        "list_version": list_version,
    }


def _validate(dataset: DatasetFacts, request: RequestFacts) -> tuple[RuleSet, Level, Level]:
    rule_set = _enum(dataset.rule_set, RuleSet, "dataset.rule_set")
    held = _enum(dataset.deidentification, Deidentification, "dataset.deidentification")
    shared = _enum(request.deidentification, Deidentification, "request.deidentification")
    country = request.country
    if not isinstance(country, str) or len(country) != 2 or not country.isascii() or not country.isupper():
        raise InvalidInput("request.country", f"{country!r} is not an ISO 3166-1 alpha-2 code (two capital letters)")
    return rule_set, held, shared


def _enum(value: object, enum: type[E], where: str) -> E:
    choices = ", ".join(member.value for member in enum)
    # Only a string can name a member: anything else is unknown, as the enum itself would say.
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise InvalidInput(where, f"unknown value {value!r} (expected one of: {choices})")


__all__ = [
    "AccessAssessment",
    "Check",
    "DatasetFacts",
    "RequestFacts",
    "assess_access",
    "check_provision",
]
