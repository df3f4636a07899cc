"""The coded values the engine accepts and returns.

The string values are the same codes as the Django models' choices (protocols.models,
committees.models), so the integration passes field values through unchanged; they are
repeated here because this package must not import Django."""

from enum import StrEnum


class RuleSet(StrEnum):
    JP = "JP"
    US = "US"


class Acquisition(StrEnum):
    NEW = "new"
    EXISTING_OWN = "existing_own"
    PROVIDE_TO_OTHER = "provide_to_other"


class Invasiveness(StrEnum):
    NONE = "none"
    MINOR = "minor"
    INVASIVE = "invasive"


class Deidentification(StrEnum):
    # REGULATORY.md section 4, most to least identifying.
    IDENTIFIED = "identified"
    PSEUDONYMISED = "pseudonymised"
    NON_IDENTIFIABLE = "non_identifiable"
    ANONYMOUSLY_PROCESSED = "anonymously_processed"
    AGGREGATE = "aggregate"


# Levels at which no one can be identified from the data: what the "non-identifiable"
# exceptions of JP-IC-06 and JP-IC-08 (a) and the US exemption path ask for.
NOT_IDENTIFIABLE = frozenset(
    {Deidentification.NON_IDENTIFIABLE, Deidentification.ANONYMOUSLY_PROCESSED, Deidentification.AGGREGATE}
)


class ConsentProcedure(StrEnum):
    # Definition order is the canonical order of consent.allowed in every verdict.
    WRITTEN_IC = "written_ic"
    ORAL_IC_WITH_RECORD = "oral_ic_with_record"
    APPROPRIATE_CONSENT = "appropriate_consent"
    OPT_OUT = "opt_out"
    ANONYMOUSLY_PROCESSED = "anonymously_processed"
    BROAD_CONSENT_WITH_NOTICE = "broad_consent_with_notice"
    PSEUDONYMISED_WITH_NOTICE = "pseudonymised_with_notice"
    NO_CONSENT_EXCEPTION = "no_consent_exception"


class Category(StrEnum):
    # JP-ERC-01 (a), (b), (c).
    NATURAL_SCIENCE = "natural_science"
    HUMANITIES_SOCIAL = "humanities_social"
    GENERAL_PUBLIC = "general_public"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


# (English, Japanese) labels used inside reason texts.
PROCEDURE_LABELS: dict[ConsentProcedure, tuple[str, str]] = {
    ConsentProcedure.WRITTEN_IC: ("written IC", "文書によるインフォームド・コンセント"),
    ConsentProcedure.ORAL_IC_WITH_RECORD: ("oral IC with a record", "口頭によるインフォームド・コンセント及びその記録"),
    ConsentProcedure.APPROPRIATE_CONSENT: ("appropriate consent", "適切な同意"),
    ConsentProcedure.OPT_OUT: ("opt-out", "オプトアウト"),
    ConsentProcedure.ANONYMOUSLY_PROCESSED: ("anonymously processed information", "匿名加工情報としての利用"),
    ConsentProcedure.BROAD_CONSENT_WITH_NOTICE: ("prior broad consent with notice", "事前の包括的な同意及び通知"),
    ConsentProcedure.PSEUDONYMISED_WITH_NOTICE: (
        "pseudonymously processed information with notice",
        "仮名加工情報の作成及び通知",
    ),
    ConsentProcedure.NO_CONSENT_EXCEPTION: ("use or provision without consent", "同意を受けない利用・提供"),
}

DEIDENTIFICATION_LABELS: dict[Deidentification, tuple[str, str]] = {
    Deidentification.IDENTIFIED: ("identified", "特定の個人を識別できる"),
    Deidentification.PSEUDONYMISED: ("pseudonymised, key held by the institution", "仮名化（対応表を機関が保有）"),
    Deidentification.NON_IDENTIFIABLE: ("non-identifiable, no key", "特定の個人を識別できない（対応表なし）"),
    Deidentification.ANONYMOUSLY_PROCESSED: ("anonymously processed information", "匿名加工情報"),
    Deidentification.AGGREGATE: ("aggregate / statistical", "集計・統計情報"),
}

CATEGORY_LABELS: dict[Category, tuple[str, str]] = {
    Category.NATURAL_SCIENCE: ("natural-science expert", "自然科学の有識者"),
    Category.HUMANITIES_SOCIAL: ("humanities/social-science expert", "人文・社会科学の有識者"),
    Category.GENERAL_PUBLIC: ("general public's viewpoint", "一般の立場から意見を述べることのできる者"),
}


def procedure_list(procedures: list[ConsentProcedure]) -> tuple[str, str]:
    """'opt-out and use without consent' in English and Japanese, for reason texts."""
    if not procedures:
        return "", ""
    en = [PROCEDURE_LABELS[p][0] for p in procedures]
    ja = [PROCEDURE_LABELS[p][1] for p in procedures]
    en_text = en[0] if len(en) == 1 else ", ".join(en[:-1]) + " and " + en[-1]
    return en_text, "・".join(ja)
