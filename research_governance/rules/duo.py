"""Matching an intended use against a dataset's consent scope in GA4GH Data Use Ontology
(DUO) terms.

The codes follow the DUO release named in DUO_RELEASE (EBISPOT/DUO); CODES gives each
its DUO id and label. A dataset's scope is one permission and any number of modifiers;
a request states one primary purpose and the facts the modifiers are tested against.

Permissions (the dataset's) against purposes (the request's):
- NRES (no restriction) permits every purpose, including clinical care.
- GRU (general research use) permits any research purpose: GRU (general research,
  not limited to health), HMB, DS and POA.
- HMB permits HMB and DS (any disease), but not POA and not general research outside
  health; a request whose study includes population origins or ancestry ("ancestry")
  is refused, since HMB excludes that study.
- DS permits only DS whose diseases are all in the dataset's disease list (exact code
  match, e.g. MONDO:0004992; ontology-aware matching may come later), and, like HMB,
  no population origins or ancestry study.
- POA permits only POA.
- Clinical care (the request's "clinical_care") is not research: only NRES or the CC
  modifier permit it; otherwise the permission is unmet.

Modifiers: each either holds (met), is violated by the request (unmet: the request is
not permitted), or binds the recipient (obligation: permitted, with a term to honour).
- NPU (not-for-profit organisation use only): unmet if the request is commercial or the
  recipient is stated not to be a not-for-profit organisation; when the organisation's
  status is not stated, a non-commercial request meets it and the reason says the
  committee confirms the organisation.
- NCU (non-commercial use only): unmet if commercial.
- NPUNCU (not-for-profit, non-commercial use only): both of the above.
- NPOA (population origins or ancestry research prohibited): unmet for POA or ancestry.
- GS (geographical restriction, with ISO 3166-1 alpha-2 countries): unmet if the
  request's country is not listed.
- IRB (ethics approval required): unmet without ethics approval.
- TS (time limit on use, with a date): unmet if the request's date, or the end of its
  requested term ("end_date", when given), is after the limit. DUO expresses TS as a
  number of months; the dataset records the date those months end.
- MOR (publication moratorium, with a date): an obligation (no publication before the
  date) while the date is after the request's date; met once it has passed.
- GSO (genetic studies only): unmet unless the study is genetic.
- NMDS (no general methods research): unmet if the purpose includes methods development.
- US / PS / IS (user / project / institution specific): when the dataset names the
  approved users / projects / institutions, unmet unless the request's users (all of
  them) / project / institution are among them; when it names none, an obligation: the
  data access committee approves them by name in its review.
- PUB, COL, RTN (publication, collaboration, return of derived data): obligations.
- RS (research specific restrictions): an obligation; the committee checks the research
  type, which this matcher cannot.
- CC (clinical care use): widens the permission to clinical care; always met.

A parameter implies its modifier: a dataset with "time_limit" but no TS is treated as
TS (a stated limit is never ignored), and likewise "countries" implies GS, "moratorium"
MOR, "users" US, "projects" PS, "institutions" IS; the reason says the code was implied.
The reverse is invalid input: TS without a date, MOR without a date, GS without
countries, DS without diseases; so are unknown or duplicated codes, diseases given with a
permission or purpose other than DS, and malformed dates or country codes.

Output: `match_use` returns permitted, unmet and obligations (codes, in term order:
permission first, then modifiers as given, then implied ones), one term per code with
its status, and the reasons: one per term, each naming the code and its DUO id, in
English and Japanese (Reason, whose rule_id is the DUO id). `summary` renders the
issue's JSON shape, with the reasons as strings in one language (the CLI uses English)."""

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, TypedDict, TypeVar

from .errors import InvalidInput
from .facts import _MISSING, _array, _bool, _get, _kind, _object, _reject_unknown_keys, _show, _string
from .reasons import Reason, reason

DUO_RELEASE = "v2021-02-23"

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")
# A CURIE such as MONDO:0004992 or DOID:9351; the vocabulary itself is not checked.
_DISEASE_CODE = re.compile(r"[A-Za-z][A-Za-z0-9_.]*:[A-Za-z0-9_.-]+")


class Permission(StrEnum):
    GRU = "GRU"
    HMB = "HMB"
    DS = "DS"
    POA = "POA"
    NRES = "NRES"


class Purpose(StrEnum):
    GRU = "GRU"  # general research, not limited to health
    HMB = "HMB"
    DS = "DS"
    POA = "POA"


class Modifier(StrEnum):
    NPU = "NPU"
    NCU = "NCU"
    NPUNCU = "NPUNCU"
    NPOA = "NPOA"
    GS = "GS"
    IRB = "IRB"
    PUB = "PUB"
    COL = "COL"
    RTN = "RTN"
    TS = "TS"
    MOR = "MOR"
    US = "US"
    PS = "PS"
    IS = "IS"
    GSO = "GSO"
    NMDS = "NMDS"
    CC = "CC"
    RS = "RS"


@dataclass(frozen=True)
class Code:
    code: str
    duo_id: str
    label_en: str
    label_ja: str


CODES: Mapping[str, Code] = {
    c.code: c
    for c in (
        Code("GRU", "DUO:0000042", "general research use", "一般研究利用"),
        Code("HMB", "DUO:0000006", "health or medical or biomedical research", "保健・医療・生物医学研究"),
        Code("DS", "DUO:0000007", "disease specific research", "特定の疾患の研究"),
        Code("POA", "DUO:0000011", "population origins or ancestry research only", "集団の起源・祖先の研究に限る"),
        Code("NRES", "DUO:0000004", "no restriction", "制限なし"),
        Code("NPU", "DUO:0000045", "not-for-profit organisation use only", "非営利団体による利用に限る"),
        Code("NCU", "DUO:0000046", "non-commercial use only", "非商業的利用に限る"),
        Code(
            "NPUNCU",
            "DUO:0000018",
            "not-for-profit, non-commercial use only",
            "非営利団体による非商業的利用に限る",
        ),
        Code(
            "NPOA",
            "DUO:0000044",
            "population origins or ancestry research prohibited",
            "集団の起源・祖先の研究は禁止",
        ),
        Code("GS", "DUO:0000022", "geographical restriction", "地域の限定"),
        Code("IRB", "DUO:0000021", "ethics approval required", "倫理審査の承認が必要"),
        Code("PUB", "DUO:0000019", "publication required", "成果の公表が必要"),
        Code("COL", "DUO:0000020", "collaboration required", "共同研究が必要"),
        Code("RTN", "DUO:0000029", "return to database or resource", "データベース・リソースへの還元が必要"),
        Code("TS", "DUO:0000025", "time limit on use", "利用期間の限定"),
        Code("MOR", "DUO:0000024", "publication moratorium", "公表の猶予期間"),
        Code("US", "DUO:0000026", "user specific restriction", "利用者の限定"),
        Code("PS", "DUO:0000027", "project specific restriction", "プロジェクトの限定"),
        Code("IS", "DUO:0000028", "institution specific restriction", "機関の限定"),
        Code("GSO", "DUO:0000016", "genetic studies only", "遺伝学的研究に限る"),
        Code("NMDS", "DUO:0000015", "no general methods research", "一般的な方法論研究の禁止"),
        Code("CC", "DUO:0000043", "clinical care use", "診療での利用"),
        Code("RS", "DUO:0000012", "research specific restrictions", "研究の種類の限定"),
    )
}

_PURPOSE_LABELS: dict[Purpose, tuple[str, str]] = {
    Purpose.GRU: ("general research not limited to health", "保健・医療に限らない一般研究"),
    Purpose.HMB: ("health, medical or biomedical research", "保健・医療・生物医学研究"),
    Purpose.DS: ("disease-specific research", "特定の疾患の研究"),
    Purpose.POA: ("population origins or ancestry research", "集団の起源・祖先の研究"),
}

# Modifiers a dataset parameter implies when the code itself is absent, in output order.
_IMPLIED_BY = (
    ("countries", Modifier.GS),
    ("time_limit", Modifier.TS),
    ("moratorium", Modifier.MOR),
    ("users", Modifier.US),
    ("projects", Modifier.PS),
    ("institutions", Modifier.IS),
)


@dataclass(frozen=True)
class DataUseScope:
    """A dataset's consent scope. Codes are plain strings (StrEnum members work too)."""

    permission: str
    modifiers: tuple[str, ...] = ()
    diseases: tuple[str, ...] = ()  # DS only: disease codes, e.g. "MONDO:0004992"
    countries: tuple[str, ...] = ()  # GS: ISO 3166-1 alpha-2
    time_limit: datetime.date | None = None  # TS: last day of permitted use
    moratorium: datetime.date | None = None  # MOR: no publication before this day
    users: tuple[str, ...] = ()  # US: approved users (empty: the committee approves)
    projects: tuple[str, ...] = ()  # PS: approved projects
    institutions: tuple[str, ...] = ()  # IS: approved institutions


@dataclass(frozen=True)
class IntendedUse:
    """A request's intended use."""

    purpose: str  # Purpose: GRU, HMB, DS or POA
    commercial: bool
    country: str  # where the data will be used, ISO 3166-1 alpha-2
    date: datetime.date  # when the use starts (the request's date)
    diseases: tuple[str, ...] = ()  # DS only
    ethics_approval: bool = False
    end_date: datetime.date | None = None  # end of the requested term, if known
    methods_development: bool = False
    ancestry: bool = False  # the study includes population origins or ancestry
    genetic_study: bool = False
    clinical_care: bool = False
    not_for_profit: bool | None = None  # recipient organisation; None: not stated
    users: tuple[str, ...] = ()
    project: str | None = None
    institution: str | None = None


Status = Literal["met", "unmet", "obligation"]


class DuoTerm(TypedDict):
    code: str
    duo_id: str
    status: Status
    implied: bool  # the code was implied by a parameter, not listed
    reason: Reason


class DuoMatch(TypedDict):
    permitted: bool
    unmet: list[str]
    obligations: list[str]
    terms: list[DuoTerm]
    reasons: list[Reason]  # one per term, in term order; rule_id is the DUO id
    duo_release: str


class DuoSummary(TypedDict):
    permitted: bool
    unmet: list[str]
    obligations: list[str]
    reasons: list[str]


def match_use(scope: DataUseScope, use: IntendedUse) -> DuoMatch:
    """Match an intended use against a dataset's scope. Raises InvalidInput naming the
    field ("dataset.modifiers[1]", "request.diseases") when either is not valid."""
    modifiers = _validate(scope, use)
    terms = [_permission(scope, use)]
    for code, implied in modifiers:
        status, en, ja = _MODIFIER_CHECKS[code](scope, use)
        if implied:
            en += f" ({code} implied by the dataset's {_PARAMETER_OF[code]}.)"
            ja += f"（データセットの{_PARAMETER_JA[code]}から{code}とみなした。）"
        terms.append(_term(code, status, en, ja, implied=implied))
    unmet = [t["code"] for t in terms if t["status"] == "unmet"]
    return {
        "permitted": not unmet,
        "unmet": unmet,
        "obligations": [t["code"] for t in terms if t["status"] == "obligation"],
        "terms": terms,
        "reasons": [t["reason"] for t in terms],
        "duo_release": DUO_RELEASE,
    }


def summary(match: DuoMatch, language: str = "en") -> DuoSummary:
    """The issue's JSON shape: reasons as strings in `language` ("en" or "ja")."""
    key: Literal["en", "ja"] = "ja" if language.startswith("ja") else "en"
    return {
        "permitted": match["permitted"],
        "unmet": list(match["unmet"]),
        "obligations": list(match["obligations"]),
        "reasons": [r[key] for r in match["reasons"]],
    }


def match_use_json(data: object, *, language: str = "en", today: datetime.date | None = None) -> DuoSummary:
    """`manage.py rules match-use`: decoded JSON {"dataset": {...}, "request": {...}} in,
    the summary out. A request without "date" is dated `today` (default: today)."""
    scope, use = parse_match_input(data, today=today)
    return summary(match_use(scope, use), language)


# --- the permission -------------------------------------------------------------------


def _permission(scope: DataUseScope, use: IntendedUse) -> DuoTerm:
    permission = Permission(scope.permission)
    purpose = Purpose(use.purpose)
    purpose_en, purpose_ja = _PURPOSE_LABELS[purpose]
    if purpose is Purpose.DS:
        purpose_en += f" on {', '.join(use.diseases)}"
        purpose_ja = f"{'、'.join(use.diseases)}に関する{purpose_ja}"
    problems: list[tuple[str, str]] = []
    if permission is Permission.NRES:
        return _term(
            "NRES",
            "met",
            f"There is no restriction on use: {purpose_en} is permitted.",
            f"利用に制限がないため、{purpose_ja}は許可される。",
        )
    if permission is Permission.HMB or permission is Permission.DS:
        if purpose is Purpose.POA or use.ancestry:
            problems.append(
                (
                    f"{permission} does not include the study of population origins or ancestry",
                    f"{permission}は集団の起源・祖先の研究を含まない",
                )
            )
        elif purpose is Purpose.GRU:
            problems.append(
                (
                    f"{permission} does not cover general research outside health, medicine and biomedicine",
                    f"{permission}は保健・医療・生物医学以外の一般研究を含まない",
                )
            )
    if permission is Permission.DS and purpose is Purpose.HMB:
        problems.append(
            (
                "DS covers only research on the dataset's diseases, not health research in general",
                "DSはデータセットの疾患に関する研究のみを対象とし、保健・医療研究一般は含まない",
            )
        )
    if permission is Permission.DS and purpose is Purpose.DS:
        outside = [d for d in use.diseases if d not in scope.diseases]
        if outside:
            problems.append(
                (
                    f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not among the dataset's diseases "
                    f"({', '.join(scope.diseases)})",
                    f"{'、'.join(outside)}はデータセットの疾患（{'、'.join(scope.diseases)}）に含まれない",
                )
            )
    if permission is Permission.POA and purpose is not Purpose.POA:
        problems.append(
            (
                "POA limits use to the study of population origins or ancestry",
                "POAは集団の起源・祖先の研究への利用に限られる",
            )
        )
    if use.clinical_care and Modifier.CC not in scope.modifiers:
        problems.append(
            (
                f"clinical care is not research use and {permission} without CC does not permit it",
                f"診療での利用は研究利用ではなく、CCのない{permission}では認められない",
            )
        )
    if problems:
        return _term(
            permission,
            "unmet",
            f"The request is for {purpose_en}, but {'; and '.join(en for en, _ in problems)}.",
            f"申請は{purpose_ja}であるが、{'。また、'.join(ja for _, ja in problems)}。",
        )
    scope_en, scope_ja = {
        Permission.GRU: (
            "general research use permits any research purpose",
            "一般研究利用はあらゆる研究目的を許可する",
        ),
        Permission.HMB: (
            "health/medical/biomedical research use covers it",
            "保健・医療・生物医学研究の利用範囲に含まれる",
        ),
        Permission.DS: (
            f"every disease requested is among the dataset's diseases ({', '.join(scope.diseases)})",
            f"申請のすべての疾患がデータセットの疾患（{'、'.join(scope.diseases)}）に含まれる",
        ),
        Permission.POA: ("it is the use POA permits", "POAが許可する利用である"),
    }[permission]
    return _term(
        permission,
        "met",
        f"The request is for {purpose_en}: {scope_en}.",
        f"申請は{purpose_ja}であり、{scope_ja}。",
    )


# --- the modifiers: each returns (status, English, Japanese) ---------------------------

Verdict = tuple[Status, str, str]


def _npu(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.commercial:
        return "unmet", "The request is commercial.", "申請は商業的利用である。"
    if use.not_for_profit is False:
        return (
            "unmet",
            "The recipient is not a not-for-profit organisation.",
            "提供先は非営利団体ではない。",
        )
    if use.not_for_profit is None:
        return (
            "met",
            "The request is non-commercial; the recipient's not-for-profit status was not stated, so the committee "
            "confirms it.",
            "申請は非商業的利用である。提供先が非営利団体であるかは申告されていないため、委員会が確認する。",
        )
    return (
        "met",
        "The recipient is a not-for-profit organisation and the use is non-commercial.",
        ("提供先は非営利団体であり、利用は非商業的である。"),
    )


def _ncu(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.commercial:
        return "unmet", "The request is commercial.", "申請は商業的利用である。"
    return "met", "The request is non-commercial.", "申請は非商業的利用である。"


def _npuncu(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return _npu(scope, use)


def _npoa(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.purpose == Purpose.POA or use.ancestry:
        return (
            "unmet",
            "The request includes population origins or ancestry research.",
            "申請は集団の起源・祖先の研究を含む。",
        )
    return (
        "met",
        "The request does not include population origins or ancestry research.",
        "申請は集団の起源・祖先の研究を含まない。",
    )


def _gs(scope: DataUseScope, use: IntendedUse) -> Verdict:
    allowed = ", ".join(scope.countries)
    if use.country in scope.countries:
        return (
            "met",
            f"The data will be used in {use.country}, within the permitted countries ({allowed}).",
            f"データは許可された国（{allowed}）に含まれる{use.country}で利用される。",
        )
    return (
        "unmet",
        f"The data would be used in {use.country}, outside the permitted countries ({allowed}).",
        f"データの利用国{use.country}は許可された国（{allowed}）に含まれない。",
    )


def _irb(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.ethics_approval:
        return (
            "met",
            "The request has ethics approval; its documentation is kept with the request.",
            "申請は倫理審査の承認を受けている。承認の文書を申請とともに保管する。",
        )
    return (
        "unmet",
        "The request has no ethics approval; documentation of local ethics approval is required.",
        "申請は倫理審査の承認を受けていない。所属機関の倫理審査の承認を示す文書が必要。",
    )


def _ts(scope: DataUseScope, use: IntendedUse) -> Verdict:
    limit = scope.time_limit
    assert limit is not None  # _validate guarantees it
    if use.date > limit:
        return (
            "unmet",
            f"The request is dated {use.date.isoformat()}, after the time limit on use ({limit.isoformat()}).",
            f"申請日{use.date.isoformat()}は利用期限（{limit.isoformat()}）より後である。",
        )
    if use.end_date is not None and use.end_date > limit:
        return (
            "unmet",
            f"The requested term ends on {use.end_date.isoformat()}, after the time limit on use "
            f"({limit.isoformat()}); shorten the term.",
            f"申請の利用期間の終了日{use.end_date.isoformat()}は利用期限（{limit.isoformat()}）より後である。"
            "利用期間を短縮する。",
        )
    return (
        "met",
        f"The use falls within the time limit ({limit.isoformat()}); access ends by then.",
        f"利用は利用期限（{limit.isoformat()}）内であり、アクセスはその日までに終了する。",
    )


def _mor(scope: DataUseScope, use: IntendedUse) -> Verdict:
    until = scope.moratorium
    assert until is not None  # _validate guarantees it
    if until > use.date:
        return (
            "obligation",
            f"No results may be published before {until.isoformat()}.",
            f"{until.isoformat()}より前に研究結果を公表してはならない。",
        )
    return (
        "met",
        f"The publication moratorium ended on {until.isoformat()}.",
        f"公表の猶予期間は{until.isoformat()}に終了している。",
    )


def _pub(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return (
        "obligation",
        "The recipient must make the results of studies using the data available to the scientific community.",
        "提供先は、データを用いた研究の成果を広く科学コミュニティに公開しなければならない。",
    )


def _col(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return (
        "obligation",
        "The recipient must agree to collaborate with the primary study's investigators.",
        "提供先は、元の研究の研究者との共同研究に同意しなければならない。",
    )


def _rtn(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return (
        "obligation",
        "The recipient must return derived or enriched data to the database or resource.",
        "提供先は、派生・拡充したデータをデータベース又はリソースに還元しなければならない。",
    )


def _us(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if not scope.users:
        return (
            "obligation",
            "Use is limited to approved users: the data access committee approves each team member by name.",
            "利用は承認された利用者に限られる。データアクセス委員会がチームの各メンバーを個別に承認する。",
        )
    outside = [u for u in use.users if u not in scope.users]
    if not use.users:
        return (
            "unmet",
            "The request names no users to check against the approved users.",
            ("申請に、承認された利用者と照合する利用者の記載がない。"),
        )
    if outside:
        return (
            "unmet",
            f"{', '.join(outside)} {'is' if len(outside) == 1 else 'are'} not among the approved users.",
            f"{'、'.join(outside)}は承認された利用者に含まれない。",
        )
    return (
        "met",
        "Every user named in the request is an approved user.",
        "申請のすべての利用者は承認された利用者である。",
    )


def _named(kind_en: str, kind_ja: str, allowed: Sequence[str], given: str | None) -> Verdict:
    if not allowed:
        return (
            "obligation",
            f"Use is limited to an approved {kind_en}: the data access committee approves it in its review.",
            f"利用は承認された{kind_ja}に限られる。データアクセス委員会が審査で承認する。",
        )
    if given is None:
        return (
            "unmet",
            f"The request names no {kind_en} to check against the approved ones ({', '.join(allowed)}).",
            f"申請に、承認された{kind_ja}（{'、'.join(allowed)}）と照合する{kind_ja}の記載がない。",
        )
    if given in allowed:
        return "met", f"The {kind_en} {given} is approved.", f"{kind_ja}{given}は承認されている。"
    return (
        "unmet",
        f"The {kind_en} {given} is not among the approved ones ({', '.join(allowed)}).",
        f"{kind_ja}{given}は承認された{kind_ja}（{'、'.join(allowed)}）に含まれない。",
    )


def _ps(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return _named("project", "プロジェクト", scope.projects, use.project)


def _is(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return _named("institution", "機関", scope.institutions, use.institution)


def _gso(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.genetic_study:
        return "met", "The request is a genetic study.", "申請は遺伝学的研究である。"
    return (
        "unmet",
        "The request is not a genetic study; phenotype-only research is not allowed.",
        "申請は遺伝学的研究ではない。表現型のみの研究は認められない。",
    )


def _nmds(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.methods_development:
        return (
            "unmet",
            "The request includes methods development (software or algorithms), which is not allowed.",
            "申請は方法論の開発（ソフトウェア・アルゴリズム）を含むが、これは認められない。",
        )
    return "met", "The request does not include methods development.", "申請は方法論の開発を含まない。"


def _cc(scope: DataUseScope, use: IntendedUse) -> Verdict:
    if use.clinical_care:
        return "met", "The clinical care use requested is allowed.", "申請の診療での利用は認められる。"
    return "met", "Clinical care use is allowed as well as research.", "研究に加え、診療での利用も認められる。"


def _rs(scope: DataUseScope, use: IntendedUse) -> Verdict:
    return (
        "obligation",
        "Use is limited to a certain research type: the committee checks the intended use against it and the "
        "recipient keeps to it.",
        "利用は特定の種類の研究に限られる。委員会が申請の利用目的を確認し、提供先はその範囲を守る。",
    )


_MODIFIER_CHECKS = {
    Modifier.NPU: _npu,
    Modifier.NCU: _ncu,
    Modifier.NPUNCU: _npuncu,
    Modifier.NPOA: _npoa,
    Modifier.GS: _gs,
    Modifier.IRB: _irb,
    Modifier.PUB: _pub,
    Modifier.COL: _col,
    Modifier.RTN: _rtn,
    Modifier.TS: _ts,
    Modifier.MOR: _mor,
    Modifier.US: _us,
    Modifier.PS: _ps,
    Modifier.IS: _is,
    Modifier.GSO: _gso,
    Modifier.NMDS: _nmds,
    Modifier.CC: _cc,
    Modifier.RS: _rs,
}
_PARAMETER_OF = {code: parameter.replace("_", " ") for parameter, code in _IMPLIED_BY}
_PARAMETER_JA = {
    Modifier.GS: "利用国",
    Modifier.TS: "利用期限",
    Modifier.MOR: "公表猶予期限",
    Modifier.US: "承認された利用者",
    Modifier.PS: "承認されたプロジェクト",
    Modifier.IS: "承認された機関",
}


def _term(code: str, status: Status, en: str, ja: str, *, implied: bool = False) -> DuoTerm:
    c = CODES[code]
    return {
        "code": c.code,
        "duo_id": c.duo_id,
        "status": status,
        "implied": implied,
        "reason": reason(
            c.duo_id, f"{c.code} ({c.duo_id}, {c.label_en}): {en}", f"{c.code}（{c.duo_id}、{c.label_ja}）：{ja}"
        ),
    }


# --- validation: the same for dataclasses from the models and for parsed JSON ----------


def _validate(scope: DataUseScope, use: IntendedUse) -> list[tuple[Modifier, bool]]:
    """The modifiers to evaluate, as (code, implied), after checking both sides."""
    permission = _code(scope.permission, Permission, "dataset.permission")
    listed: list[Modifier] = []
    for i, raw in enumerate(scope.modifiers):
        where = f"dataset.modifiers[{i}]"
        if isinstance(raw, str) and raw in Permission.__members__:
            raise InvalidInput(where, f"{_show(raw)} is a permission, not a modifier (the permission is {permission})")
        code = _code(raw, Modifier, where)
        if code in listed:
            raise InvalidInput(where, f"duplicate modifier {code}")
        listed.append(code)
    _diseases(scope.diseases, "dataset.diseases", permission is Permission.DS, f"the permission is {permission}")
    for i, country in enumerate(scope.countries):
        _country(country, f"dataset.countries[{i}]")
    if Modifier.GS in listed and not scope.countries:
        raise InvalidInput("dataset.countries", "GS needs at least one country (ISO 3166-1 alpha-2)")
    if Modifier.TS in listed and scope.time_limit is None:
        raise InvalidInput("dataset.time_limit", "TS needs the date its time limit ends")
    if Modifier.MOR in listed and scope.moratorium is None:
        raise InvalidInput("dataset.moratorium", "MOR needs the date the publication moratorium ends")
    for name in ("time_limit", "moratorium"):
        _date_value(getattr(scope, name), f"dataset.{name}")
    purpose = _code(use.purpose, Purpose, "request.purpose")
    _diseases(use.diseases, "request.diseases", purpose is Purpose.DS, f"the purpose is {purpose}")
    _country(use.country, "request.country")
    _date_value(use.date, "request.date")
    _date_value(use.end_date, "request.end_date")
    if use.end_date is not None and use.end_date < use.date:
        raise InvalidInput("request.end_date", "the term cannot end before the request's date")
    implied = [
        code
        for parameter, code in _IMPLIED_BY
        if code not in listed and getattr(scope, parameter) not in (None, (), [])
    ]
    return [(code, False) for code in listed] + [(code, True) for code in implied]


DuoCode = TypeVar("DuoCode", Permission, Purpose, Modifier)


def _code(value: object, enum: type[DuoCode], where: str) -> DuoCode:
    choices = ", ".join(member.value for member in enum)
    if not isinstance(value, str):
        raise InvalidInput(where, f"expected a string (one of: {choices}), got {_kind(value)}")
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(where, f"unknown DUO code {_show(value)} (expected one of: {choices})") from None


def _diseases(codes: Sequence[str], where: str, required: bool, otherwise: str) -> None:
    if required and not codes:
        raise InvalidInput(where, "DS needs at least one disease code (e.g. MONDO:0004992)")
    if not required and codes:
        raise InvalidInput(where, f"disease codes are only for DS, but {otherwise}")
    for i, code in enumerate(codes):
        if not isinstance(code, str) or not _DISEASE_CODE.fullmatch(code):
            raise InvalidInput(f"{where}[{i}]", f"{_show(code)} is not a disease code such as MONDO:0004992")
    if len(set(codes)) != len(codes):
        raise InvalidInput(where, "duplicate disease code")


def _country(value: object, where: str) -> None:
    if not isinstance(value, str) or not _COUNTRY_CODE.fullmatch(value):
        raise InvalidInput(where, f"{_show(value)} is not an ISO 3166-1 alpha-2 code (two capital letters)")


def _date_value(value: object, where: str) -> None:
    # A datetime is a date too, but comparing one with a date raises TypeError.
    if value is not None and (not isinstance(value, datetime.date) or isinstance(value, datetime.datetime)):
        raise InvalidInput(where, f"expected a date, got {type(value).__name__}")


# --- parsing the CLI's JSON ---------------------------------------------------------------

INPUT_KEYS = frozenset({"dataset", "request"})
DATASET_KEYS = frozenset(
    {
        "permission",
        "modifiers",
        "diseases",
        "countries",
        "time_limit",
        "moratorium",
        "users",
        "projects",
        "institutions",
    }
)
REQUEST_KEYS = frozenset(
    {
        "purpose",
        "diseases",
        "commercial",
        "country",
        "ethics_approval",
        "date",
        "end_date",
        "methods_development",
        "ancestry",
        "genetic_study",
        "clinical_care",
        "not_for_profit",
        "users",
        "project",
        "institution",
    }
)


def parse_match_input(data: object, *, today: datetime.date | None = None) -> tuple[DataUseScope, IntendedUse]:
    """Decoded JSON {"dataset": {...}, "request": {...}} into the two dataclasses (types
    only; match_use checks the codes). Raises InvalidInput naming the field."""
    obj = _object(data, "input")
    _reject_unknown_keys(obj, INPUT_KEYS, "")
    dataset = _object(_get(obj, "dataset", "", _MISSING, "an object"), "dataset")
    request = _object(_get(obj, "request", "", _MISSING, "an object"), "request")
    _reject_unknown_keys(dataset, DATASET_KEYS, "dataset")
    _reject_unknown_keys(request, REQUEST_KEYS, "request")
    scope = DataUseScope(
        permission=_string(dataset, "permission", "dataset"),
        modifiers=_strings(dataset, "modifiers", "dataset"),
        diseases=_strings(dataset, "diseases", "dataset"),
        countries=_strings(dataset, "countries", "dataset"),
        time_limit=_date(dataset, "time_limit", "dataset"),
        moratorium=_date(dataset, "moratorium", "dataset"),
        users=_strings(dataset, "users", "dataset"),
        projects=_strings(dataset, "projects", "dataset"),
        institutions=_strings(dataset, "institutions", "dataset"),
    )
    use = IntendedUse(
        purpose=_string(request, "purpose", "request"),
        diseases=_strings(request, "diseases", "request"),
        commercial=_bool(request, "commercial", "request"),
        country=_string(request, "country", "request"),
        ethics_approval=_bool(request, "ethics_approval", "request", default=False),
        date=_date(request, "date", "request") or today or datetime.date.today(),
        end_date=_date(request, "end_date", "request"),
        methods_development=_bool(request, "methods_development", "request", default=False),
        ancestry=_bool(request, "ancestry", "request", default=False),
        genetic_study=_bool(request, "genetic_study", "request", default=False),
        clinical_care=_bool(request, "clinical_care", "request", default=False),
        not_for_profit=_optional_bool(request, "not_for_profit", "request"),
        users=_strings(request, "users", "request"),
        project=_optional_string(request, "project", "request"),
        institution=_optional_string(request, "institution", "request"),
    )
    return scope, use


def _strings(obj: Mapping[str, object], key: str, where: str) -> tuple[str, ...]:
    strings: list[str] = []
    for i, item in enumerate(_array(obj, key, where, default=())):
        if not isinstance(item, str):
            raise InvalidInput(f"{where}.{key}[{i}]", f"expected a string, got {_kind(item)}")
        strings.append(item)
    return tuple(strings)


def _date(obj: Mapping[str, object], key: str, where: str) -> datetime.date | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{where}.{key}", f"expected an ISO date (YYYY-MM-DD), got {_kind(value)}")
    try:
        # fromisoformat also accepts 20261201 and week dates; insist on the plain form.
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{where}.{key}", f"{_show(value)} is not a valid date (YYYY-MM-DD)") from None


def _optional_bool(obj: Mapping[str, object], key: str, where: str) -> bool | None:
    if obj.get(key) is None:
        return None
    return _bool(obj, key, where)


def _optional_string(obj: Mapping[str, object], key: str, where: str) -> str | None:
    if obj.get(key) is None:
        return None
    return _string(obj, key, where)
