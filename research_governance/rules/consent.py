"""Which informed-consent procedures a study may use (REGULATORY.md section 2).

The Japanese decision is a small tree over the facts, one branch per case JP-IC-01..08;
JP-IC-09 (foreign recipients) then narrows the result, and JP-IC-10/12 add the conditions
that come with the procedures left. Each step records why, naming its rule."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from .facts import StudyFacts
from .reasons import Reason, reason, rule_ids, unverified_reason
from .rulebook import Rulebook
from .vocabulary import (
    DEIDENTIFICATION_LABELS,
    NOT_IDENTIFIABLE,
    Acquisition,
    ConsentProcedure,
    Deidentification,
    Invasiveness,
    RuleSet,
    procedure_list,
)

P = ConsentProcedure
IC = (P.WRITTEN_IC, P.ORAL_IC_WITH_RECORD)
IC_OR_APPROPRIATE = (*IC, P.APPROPRIATE_CONSENT)
# Procedures in which the subject is not asked and told: JP-IC-09 and the APPI rule on
# pseudonymously processed information take these away.
WITHOUT_CONSENT = (P.OPT_OUT, P.NO_CONSENT_EXCEPTION)
_ORDER = {procedure: index for index, procedure in enumerate(ConsentProcedure)}


class ConsentPart(TypedDict):
    allowed: list[str]  # ConsentProcedure codes in canonical order
    exception_possible: bool  # JP-IC-04: a justified exception the committee must approve
    case_rule_id: str  # the rule whose case the facts fall in
    rule_ids: list[str]
    reasons: list[Reason]


@dataclass
class _Decision:
    case_rule_id: str
    allowed: set[ConsentProcedure] = field(default_factory=set)
    reasons: list[Reason] = field(default_factory=list)
    exception_possible: bool = False

    def allow(self, *procedures: ConsentProcedure) -> None:
        self.allowed.update(procedures)

    def discard(self, procedures: Iterable[ConsentProcedure]) -> list[ConsentProcedure]:
        """Remove the procedures; return those that were allowed, in canonical order."""
        removed = sorted(self.allowed.intersection(procedures), key=_ORDER.__getitem__)
        self.allowed.difference_update(removed)
        return removed

    def because(self, rule_id: str, en: str, ja: str) -> None:
        self.reasons.append(reason(rule_id, en, ja))

    def because_unverified(self, rule_id: str, en: str, ja: str) -> None:
        self.reasons.append(unverified_reason(rule_id, en, ja))

    def part(self) -> ConsentPart:
        return {
            "allowed": [p.value for p in sorted(self.allowed, key=_ORDER.__getitem__)],
            "exception_possible": self.exception_possible,
            "case_rule_id": self.case_rule_id,
            "rule_ids": rule_ids(self.reasons, self.case_rule_id),
            "reasons": self.reasons,
        }


def decide_consent(facts: StudyFacts, book: Rulebook, countries_needing_consent: Sequence[str]) -> ConsentPart:
    """`countries_needing_consent`: foreign recipients' countries for which JP-IC-09 requires
    consent with information (computed by the foreign-provision step)."""
    if facts.rule_set is RuleSet.US:
        return _us(facts).part()
    decision = _jp_case(facts, book)
    _narrow_for_foreign_recipients(decision, countries_needing_consent)
    _conditions(decision, facts)
    return decision.part()


# --- Japan: one function per case ------------------------------------------------------


def _jp_case(facts: StudyFacts, book: Rulebook) -> _Decision:
    if facts.acquisition is Acquisition.NEW:
        if facts.invasiveness is not Invasiveness.NONE:
            return _jp_ic_01(facts)
        if facts.interventional:
            return _jp_ic_02()
        if facts.uses_samples:
            return _jp_ic_03()
        if facts.special_care_personal_info:
            return _jp_ic_04(book)
        return _jp_ic_05()
    if facts.acquisition is Acquisition.EXISTING_OWN:
        return _jp_ic_06(facts, book) if facts.uses_samples else _jp_ic_07(facts)
    return _jp_ic_08(facts, book)


def _jp_ic_01(facts: StudyFacts) -> _Decision:
    d = _Decision("JP-IC-01")
    d.allow(P.WRITTEN_IC)
    minor = facts.invasiveness is Invasiveness.MINOR
    d.because(
        "JP-IC-01",
        f"New acquisition with {'minor invasiveness (which counts as invasive here)' if minor else 'invasiveness'}: "
        "only written informed consent is allowed; electronic IC counts as written.",
        f"新たに試料・情報を取得し、{'軽微な侵襲' if minor else '侵襲'}を伴う研究のため、"
        "文書によるインフォームド・コンセントのみ可（電磁的方法によるインフォームド・コンセントは文書によるものとみなす）。",
    )
    return d


def _jp_ic_02() -> _Decision:
    d = _Decision("JP-IC-02")
    d.allow(*IC)
    d.because(
        "JP-IC-02",
        "New acquisition, no invasiveness, interventional: written IC, or oral IC with a record of how it was "
        "explained, what was explained and that consent was given.",
        "新たに試料・情報を取得し、侵襲を伴わず介入を行う研究のため、文書によるインフォームド・コンセント、"
        "又は口頭によるインフォームド・コンセント及びその記録（説明の方法・内容、同意を受けた旨）が必要。",
    )
    return d


def _jp_ic_03() -> _Decision:
    d = _Decision("JP-IC-03")
    d.allow(*IC)
    d.because(
        "JP-IC-03",
        "New acquisition, no invasiveness, not interventional, using samples: written IC, or oral IC with a record.",
        "新たに試料・情報を取得し、侵襲を伴わず介入を行わない研究で試料を用いるため、"
        "文書によるインフォームド・コンセント、又は口頭によるインフォームド・コンセント及びその記録が必要。",
    )
    return d


def _jp_ic_04(book: Rulebook) -> _Decision:
    d = _Decision("JP-IC-04")
    d.allow(*IC_OR_APPROPRIATE)
    d.because(
        "JP-IC-04",
        "New acquisition of information only (no invasiveness, not interventional) including special-care personal "
        "information: informed consent or appropriate consent is needed; opt-out is not allowed.",
        "新たに情報のみを取得し（侵襲なし・介入なし）、要配慮個人情報を取得する研究のため、"
        "インフォームド・コンセント又は適切な同意が必要で、オプトアウトは認められない。",
    )
    # The exception is not an option the applicant picks: it stays out of `allowed`, and
    # the committee approves it case by case (REGULATORY.md JP-IC-04).
    if book.flag("JP-IC-04", "exception_enabled"):
        d.exception_possible = True
        d.because_unverified(
            "JP-IC-04",
            "An exception may exist where consent is hard to obtain and public-interest conditions hold; it is not an "
            "ordinary option: the committee must approve a justified exception.",
            "同意を受けることが困難で、公益上の条件を満たす場合には例外があり得るが、通常の選択肢ではなく、"
            "正当な理由のある例外として倫理審査委員会の承認が必要。",
        )
    return d


def _jp_ic_05() -> _Decision:
    d = _Decision("JP-IC-05")
    d.allow(*IC_OR_APPROPRIATE, P.OPT_OUT)
    d.because(
        "JP-IC-05",
        "New acquisition of information only (no invasiveness, not interventional) without special-care personal "
        "information: informed consent, appropriate consent or opt-out.",
        "新たに情報のみを取得し（侵襲なし・介入なし）、要配慮個人情報を取得しない研究のため、"
        "インフォームド・コンセント、適切な同意又はオプトアウトのいずれも可。",
    )
    return d


def _jp_ic_06(facts: StudyFacts, book: Rulebook) -> _Decision:
    d = _Decision("JP-IC-06")
    d.allow(*IC)
    d.because(
        "JP-IC-06",
        "Existing samples held at this institution: written IC, or oral IC with a record.",
        "自機関で保有する既存試料を用いる研究のため、文書によるインフォームド・コンセント、"
        "又は口頭によるインフォームド・コンセント及びその記録が必要。",
    )
    if not book.flag("JP-IC-06", "exceptions_enabled"):
        return d
    if facts.consent_obtainable:
        d.because(
            "JP-IC-06",
            "Consent can be obtained, so the exceptions for when it is hard to obtain do not apply.",
            "同意を受けることができるため、同意取得が困難な場合の例外は適用されない。",
        )
        return d
    d.allow(P.OPT_OUT)
    d.because_unverified(
        "JP-IC-06",
        "Consent is hard to obtain: opt-out, with the conditions the committee sets, may be allowed as an exception.",
        "同意を受けることが困難なため、委員会が定める条件を満たすオプトアウトが例外として認められる可能性がある。",
    )
    level_en, level_ja = DEIDENTIFICATION_LABELS[facts.deidentification]
    if facts.deidentification in NOT_IDENTIFIABLE:
        d.allow(P.NO_CONSENT_EXCEPTION)
        d.because_unverified(
            "JP-IC-06",
            f"Consent is hard to obtain and the samples are not identifiable ({level_en}): use without consent may "
            "be allowed as an exception.",
            f"同意を受けることが困難で、試料から特定の個人を識別できない（{level_ja}）ため、"
            "同意を受けない利用が例外として認められる可能性がある。",
        )
    else:
        d.because(
            "JP-IC-06",
            f"The samples are identifiable ({level_en}): use without consent is not available.",
            f"試料から特定の個人を識別できる（{level_ja}）ため、同意を受けない利用はできない。",
        )
    return d


def _jp_ic_07(facts: StudyFacts) -> _Decision:
    d = _Decision("JP-IC-07")
    d.allow(*IC_OR_APPROPRIATE, P.OPT_OUT, P.BROAD_CONSENT_WITH_NOTICE)
    d.because(
        "JP-IC-07",
        "Existing information only, held at this institution: informed consent, appropriate consent, opt-out, or "
        "prior broad consent covering future use with a notice and a chance to refuse.",
        "自機関で保有する既存の情報のみを用いる研究のため、インフォームド・コンセント、適切な同意、オプトアウト、"
        "又は将来の研究利用を含む事前の包括的な同意と拒否の機会を伴う通知のいずれも可。",
    )
    if facts.deidentification is Deidentification.ANONYMOUSLY_PROCESSED:
        d.allow(P.ANONYMOUSLY_PROCESSED)
        d.because(
            "JP-IC-07",
            "The information is anonymously processed information (APPI standard): it may be used as such.",
            "情報は匿名加工情報（個人情報保護法の基準）であるため、匿名加工情報として利用できる。",
        )
    if facts.deidentification is Deidentification.PSEUDONYMISED:
        d.allow(P.PSEUDONYMISED_WITH_NOTICE)
        d.because(
            "JP-IC-07",
            "The information is pseudonymised: newly created pseudonymously processed information (仮名加工情報) "
            "may be used with a notice.",
            "情報は仮名化されているため、新たに作成した仮名加工情報を通知・公開の上で利用できる。",
        )
    return d


def _jp_ic_08(facts: StudyFacts, book: Rulebook) -> _Decision:
    d = _Decision("JP-IC-08")
    d.allow(*IC_OR_APPROPRIATE)
    d.because(
        "JP-IC-08",
        "Providing existing samples/information to another institution: informed consent or appropriate consent by "
        "default.",
        "既存の試料・情報を他の研究機関に提供する場合、原則としてインフォームド・コンセント又は適切な同意が必要。",
    )
    _jp_ic_08_without_consent(d, facts)
    if book.flag("JP-IC-08", "opt_out_enabled"):
        d.allow(P.OPT_OUT)
        d.because_unverified(
            "JP-IC-08",
            "Opt-out with a notice may be used only with a special reason, such as use for academic research.",
            "オプトアウト（通知・公開）による提供は、学術研究の用に供する等の特段の理由がある場合に限り認められる。",
        )
    if facts.deidentification is Deidentification.PSEUDONYMISED:
        refused = d.discard(WITHOUT_CONSENT) or list(WITHOUT_CONSENT)
        en, ja = procedure_list(refused)
        d.because(
            "JP-IC-08",
            "The data are pseudonymously processed information (仮名加工情報), which the APPI forbids providing to a "
            f"third party (personal-data categories, REGULATORY.md section 4): {en} {_is_are(refused)} not allowed; "
            "consent is needed.",
            "仮名加工情報は個人情報保護法により第三者への提供が禁止されている（個人データの区分、REGULATORY.md 第4節）"
            f"ため、{ja}は認められず、同意が必要。",
        )
    return d


def _jp_ic_08_without_consent(d: _Decision, facts: StudyFacts) -> None:
    """JP-IC-08 (a)-(c): provision without consent."""
    if facts.consent_obtainable:
        d.because(
            "JP-IC-08",
            "Consent can be obtained: provision without consent is not allowed.",
            "同意を受けることができるため、同意を受けない提供は認められない。",
        )
        return
    grounds: list[tuple[str, str]] = []
    if facts.uses_samples and facts.deidentification in NOT_IDENTIFIABLE:
        grounds.append(
            (
                "(a) the samples are not identifiable and the recipient gets no personal information from them",
                "(a) 試料から特定の個人を識別できず、提供先でも個人情報が得られない",
            )
        )
    if facts.deidentification is Deidentification.ANONYMOUSLY_PROCESSED:
        grounds.append(("(b) the information is anonymously processed information", "(b) 情報が匿名加工情報である"))
    if facts.personally_referable:
        grounds.append(
            (
                "(c) it is personally referable information the recipient will not turn into personal information",
                "(c) 提供先が個人情報として取得することが想定されない個人関連情報である",
            )
        )
    if not grounds:
        d.because(
            "JP-IC-08",
            "Consent is hard to obtain, but none of the grounds (a)-(c) for provision without consent applies.",
            "同意を受けることは困難だが、同意を受けない提供の要件(a)〜(c)のいずれにも該当しない。",
        )
        return
    d.allow(P.NO_CONSENT_EXCEPTION)
    d.because(
        "JP-IC-08",
        f"Consent is hard to obtain and {'; '.join(en for en, _ in grounds)}: provision without consent is allowed; "
        "report each such provision to the head of the providing institution.",
        f"同意を受けることが困難で、{'、'.join(ja for _, ja in grounds)}ため、同意を受けない提供が認められる。"
        "提供のつど、提供元の研究機関の長に報告する。",
    )


# --- on top of the case -----------------------------------------------------------------


def _narrow_for_foreign_recipients(d: _Decision, countries: Sequence[str]) -> None:
    if not countries:
        return
    names = ", ".join(dict.fromkeys(countries))  # unique, in input order
    removed = d.discard(WITHOUT_CONSENT)
    en = (
        f"Recipients in {names} are neither in an APPI-designated country nor under equivalent protection measures: "
        "consent must be given after the subject is told the country's name, its personal-data protection system and "
        "the recipient's protection measures."
    )
    ja = (
        f"提供先（{names}）は個人情報保護法の指定国になく、同等の保護措置も講じていないため、"
        "当該国の名称、その国の個人情報保護制度及び提供先が講ずる保護措置の情報を研究対象者に提供した上で同意を受ける必要がある。"
    )
    if removed:
        removed_en, removed_ja = procedure_list(removed)
        en += f" Therefore {removed_en} {_is_are(removed)} not allowed."
        ja += f"このため、{removed_ja}は認められない。"
    d.because("JP-IC-09", en, ja)
    d.because(
        "XB-01",
        "The APPI requires the subject's consent, with that information, for provision to a third party abroad.",
        "個人情報保護法上、外国にある第三者への提供には、これらの情報を提供した上での本人の同意が必要。",
    )


def _conditions(d: _Decision, facts: StudyFacts) -> None:
    """What comes with the procedures left: the opt-out notice and the provision records."""
    if P.OPT_OUT in d.allowed:
        d.because(
            "JP-IC-10",
            "If opt-out is used, the notice (通知・公開) must state the purpose and method of use, the items used, the "
            "planned start date, how refusals are received and any foreign provision; it stays public while the "
            "study runs, and refusals are honoured without delay.",
            "オプトアウトを用いる場合、通知・公開には利用目的及び利用方法、利用する項目、開始予定日、拒否の求めの受付方法、"
            "外国にある者への提供に関する情報を記載し、研究の実施中は公開を続け、拒否の求めには遅滞なく対応する。",
        )
        d.because(
            "JP-IC-12",
            "If opt-out is used, attach the notice text to the protocol.",
            "オプトアウトを用いる場合、通知・公開の文書を研究計画書に添付する。",
        )
    if facts.acquisition is Acquisition.PROVIDE_TO_OTHER or facts.foreign_recipients:
        d.because(
            "JP-IC-12",
            "Keep a provision record (timing, medium, author, storage) for every exchange of samples or information.",
            "試料・情報の授受ごとに、提供に関する記録（時期、媒体、作成者、保管）を作成し保管する。",
        )


def _is_are(items: Sequence[object]) -> str:
    return "is" if len(items) == 1 else "are"


# --- United States ----------------------------------------------------------------------


def _us(facts: StudyFacts) -> _Decision:
    # REGULATORY.md has no US consent rule ID; the review-route rule (US-IRB-05) is the
    # closest, and the text points to the Common Rule's consent sections instead.
    d = _Decision("US-IRB-05")
    d.allow(P.WRITTEN_IC)
    level_en, level_ja = DEIDENTIFICATION_LABELS[facts.deidentification]
    if facts.deidentification in NOT_IDENTIFIABLE:
        d.allow(P.NO_CONSENT_EXCEPTION)
        d.because(
            "US-IRB-05",
            f"The data are not identifiable ({level_en}): the research may be exempt secondary research or not human "
            "subjects research, so consent may not be needed; the IRB confirms (see 45 CFR 46.104 and 46.116).",
            f"データから個人を識別できない（{level_ja}）ため、適用除外の二次研究又は人を対象とする研究に該当しない可能性があり、"
            "同意が不要となり得る。IRBが確認する（45 CFR 46.104及び46.116参照）。",
        )
    else:
        d.because(
            "US-IRB-05",
            f"The data are identifiable ({level_en}): written informed consent is required unless the IRB approves a "
            "waiver or alteration (see 45 CFR 46.116 and 46.117).",
            f"データから個人を識別できる（{level_ja}）ため、IRBが免除又は変更を承認しない限り、"
            "文書によるインフォームド・コンセントが必要（45 CFR 46.116及び46.117参照）。",
        )
    return d
