"""Committee composition and meeting quorum (REGULATORY.md section 1).

Japan uses one test for both (JP-ERC-06): the roster must satisfy JP-ERC-01..05, and so
must the members counted at a meeting, after removing those with a conflict (JP-ERC-07,
JP-ERC-08). The US tests differ for the roster (US-IRB-01/02) and the meeting (US-IRB-04)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypedDict

from .facts import CommitteeFacts, Member
from .reasons import Reason, reason, rule_ids
from .rulebook import Rulebook
from .vocabulary import CATEGORY_LABELS, Category, RuleSet, Sex


class CompositionPart(TypedDict):
    valid: bool
    violations: list[Reason]
    rule_ids: list[str]  # every rule checked, passed or not
    reasons: list[Reason]  # one line per check, passed or not


class QuorumPart(TypedDict):
    valid: bool
    violations: list[Reason]
    rule_ids: list[str]
    counted_member_ids: list[str]  # present and without a conflict, in input order
    excluded_member_ids: list[str]  # present but with a conflict
    reasons: list[Reason]


@dataclass(frozen=True)
class _Check:
    rule_id: str
    passed: bool
    en: str
    ja: str

    def as_reason(self) -> Reason:
        return reason(self.rule_id, self.en, self.ja)


def check_composition(facts: CommitteeFacts, book: Rulebook) -> CompositionPart:
    checked: tuple[str, ...]
    if facts.rule_set is RuleSet.US:
        checks = _us_roster(facts.members, book)
        checked = ("US-IRB-01", "US-IRB-02")
    else:
        checks = _jp_tests(facts.members, book, "The roster", "委員名簿")
        checked = ("JP-ERC-01", "JP-ERC-02", "JP-ERC-03", "JP-ERC-04", "JP-ERC-05")
    violations = [c.as_reason() for c in checks if not c.passed]
    reasons = [c.as_reason() for c in checks]
    return {
        "valid": not violations,
        "violations": violations,
        "rule_ids": rule_ids(reasons, *checked),
        "reasons": reasons,
    }


def check_quorum(facts: CommitteeFacts, book: Rulebook) -> QuorumPart | None:
    """None when the input says nothing about attendance."""
    if not facts.attendance_given:
        return None
    counted = [m for m in facts.members if m.present and not m.conflict]
    excluded = [m for m in facts.members if m.present and m.conflict]
    if facts.rule_set is RuleSet.US:
        return _us_quorum(facts.members, counted, excluded)
    return _jp_quorum(counted, excluded, book)


# --- Japan ------------------------------------------------------------------------------


def _jp_tests(members: Sequence[Member], book: Rulebook, scope_en: str, scope_ja: str) -> list[_Check]:
    """JP-ERC-01..05 on a group of members: the roster, or those counted at a meeting."""
    return [
        _jp_categories(members, scope_en, scope_ja),
        _Check(
            "JP-ERC-02",
            True,
            # Guaranteed by the input shape: each member has one category field.
            "Each member is recorded in exactly one category, so no one counts toward two.",
            "各委員の区分は一つのみ記録されるため、一人が複数の区分に数えられることはない。",
        ),
        _jp_external(members, book, scope_en, scope_ja),
        _jp_sexes(members, scope_en, scope_ja),
        _jp_size(members, book, scope_en, scope_ja),
    ]


def _jp_categories(members: Sequence[Member], scope_en: str, scope_ja: str) -> _Check:
    present = {m.category for m in members}
    missing = [c for c in Category if c not in present]
    if not missing:
        return _Check(
            "JP-ERC-01",
            True,
            f"{scope_en}: at least one member in each of the three categories.",
            f"{scope_ja}：3つの区分それぞれに1名以上の委員がいる。",
        )
    return _Check(
        "JP-ERC-01",
        False,
        f"{scope_en}: no member in the {'category' if len(missing) == 1 else 'categories'} "
        f"{'; '.join(CATEGORY_LABELS[c][0] for c in missing)}.",
        f"{scope_ja}：次の区分の委員がいない（{'、'.join(CATEGORY_LABELS[c][1] for c in missing)}）。",
    )


def _jp_external(members: Sequence[Member], book: Rulebook, scope_en: str, scope_ja: str) -> _Check:
    needed = book.number("JP-ERC-03", "min_external")
    count = sum(1 for m in members if m.external)
    return _Check(
        "JP-ERC-03",
        count >= needed,
        f"{scope_en}: {count} external member(s); at least {needed} are required.",
        f"{scope_ja}：外部委員は{count}名（{needed}名以上必要）。",
    )


def _jp_sexes(members: Sequence[Member], scope_en: str, scope_ja: str) -> _Check:
    sexes = {m.sex for m in members}
    missing = [
        (en, ja) for sex, en, ja in ((Sex.FEMALE, "no woman", "女性"), (Sex.MALE, "no man", "男性")) if sex not in sexes
    ]
    if not missing:
        return _Check("JP-ERC-04", True, f"{scope_en}: both men and women.", f"{scope_ja}：男女両性で構成されている。")
    return _Check(
        "JP-ERC-04",
        False,
        f"{scope_en}: not both men and women ({' and '.join(en for en, _ in missing)}).",
        f"{scope_ja}：男女両性で構成されていない（{'・'.join(ja for _, ja in missing)}がいない）。",
    )


def _jp_size(members: Sequence[Member], book: Rulebook, scope_en: str, scope_ja: str) -> _Check:
    needed = book.number("JP-ERC-05", "min_members")
    return _Check(
        "JP-ERC-05",
        len(members) >= needed,
        f"{scope_en}: {len(members)} member(s); at least {needed} are required.",
        f"{scope_ja}：委員は{len(members)}名（{needed}名以上必要）。",
    )


def _jp_quorum(counted: list[Member], excluded: list[Member], book: Rulebook) -> QuorumPart:
    checks = _jp_tests(counted, book, "Members counted at the meeting", "会議に出席し成立要件に数える委員")
    # The meeting breaks JP-ERC-06; the text names which of JP-ERC-01..05 the attendance fails.
    violations = [
        reason("JP-ERC-06", f"{c.en} ({c.rule_id})", f"{c.ja}（{c.rule_id}）") for c in checks if not c.passed
    ]
    reasons = [c.as_reason() for c in checks]
    reasons += _jp_exclusions(excluded)
    if violations:
        reasons.append(
            reason(
                "JP-ERC-06",
                "The members counted at the meeting do not satisfy JP-ERC-01..05: the meeting is not quorate and "
                "cannot issue an opinion.",
                "会議に出席し成立要件に数える委員がJP-ERC-01〜05を満たさないため、会議は成立せず、意見を述べることができない。",
            )
        )
    else:
        reasons.append(
            reason(
                "JP-ERC-06",
                "The members counted at the meeting satisfy JP-ERC-01..05: the meeting is quorate.",
                "会議に出席し成立要件に数える委員がJP-ERC-01〜05を満たすため、会議は成立する。",
            )
        )
    return {
        "valid": not violations,
        "violations": violations,
        "rule_ids": rule_ids(reasons, "JP-ERC-06", "JP-ERC-07", "JP-ERC-08"),
        "counted_member_ids": [m.id for m in counted],
        "excluded_member_ids": [m.id for m in excluded],
        "reasons": reasons,
    }


def _jp_exclusions(excluded: list[Member]) -> list[Reason]:
    if not excluded:
        return []
    ids = ", ".join(m.id for m in excluded)
    return [
        reason(
            "JP-ERC-07",
            f"Present with a conflict ({ids}): an investigator on the study takes no part in its deliberation or "
            "decision (they may explain when asked) and is not counted toward quorum.",
            f"利益相反のある出席委員（{ids}）：審査対象の研究に携わる研究者等は審議及び意見の決定に参加できず"
            "（求めに応じて説明はできる）、成立要件に数えない。",
        ),
        reason(
            "JP-ERC-08",
            f"Present with a conflict ({ids}): the principal investigator who asked for the review takes no part in "
            "its deliberation or decision.",
            f"利益相反のある出席委員（{ids}）：審査を依頼した研究責任者は審議及び意見の決定に参加できない。",
        ),
    ]


# --- United States ----------------------------------------------------------------------


def _us_roster(members: Sequence[Member], book: Rulebook) -> list[_Check]:
    needed = book.number("US-IRB-01", "min_members")
    sexes = {m.sex for m in members}
    # 45 CFR 46.107(a): no IRB "entirely of men or entirely of women".
    one_sex = bool(members) and sexes in ({Sex.MALE}, {Sex.FEMALE})
    scientists = sum(1 for m in members if m.scientist)
    nonscientists = sum(1 for m in members if m.scientist is False)
    external = sum(1 for m in members if m.external)
    return [
        _Check(
            "US-IRB-01",
            len(members) >= needed,
            f"The roster: {len(members)} member(s); at least {needed} are required.",
            f"委員名簿：委員は{len(members)}名（{needed}名以上必要）。",
        ),
        _Check(
            "US-IRB-01",
            not one_sex,
            "The roster: not all of one sex." if not one_sex else "The roster: all members are of one sex.",
            "委員名簿：全員が同一の性ではない。" if not one_sex else "委員名簿：全員が同一の性である。",
        ),
        _Check(
            "US-IRB-01",
            True,
            "Professions are not recorded here: the IRB confirms that not all members share one profession.",
            "職業はここでは記録されないため、全員が同一の職業でないことはIRBが確認する。",
        ),
        _Check(
            "US-IRB-02",
            scientists >= 1,
            f"The roster: {scientists} scientist member(s); at least 1 is required.",
            f"委員名簿：科学分野の委員は{scientists}名（1名以上必要）。",
        ),
        _Check(
            "US-IRB-02",
            nonscientists >= 1,
            f"The roster: {nonscientists} nonscientist member(s); at least 1 is required.",
            f"委員名簿：非科学分野の委員は{nonscientists}名（1名以上必要）。",
        ),
        _Check(
            "US-IRB-02",
            external >= 1,
            f"The roster: {external} member(s) not affiliated with the institution; at least 1 is required.",
            f"委員名簿：機関に所属しない委員は{external}名（1名以上必要）。",
        ),
    ]


def _us_quorum(members: Sequence[Member], counted: list[Member], excluded: list[Member]) -> QuorumPart:
    majority = 2 * len(counted) > len(members)
    nonscientists = sum(1 for m in counted if m.scientist is False)
    checks = [
        _Check(
            "US-IRB-04",
            majority,
            f"{len(counted)} of {len(members)} members counted: a majority of the members is required.",
            f"成立要件に数える出席委員は{len(members)}名中{len(counted)}名（委員の過半数が必要）。",
        ),
        _Check(
            "US-IRB-04",
            nonscientists >= 1,
            f"{nonscientists} nonscientist(s) among the members counted; at least 1 is required.",
            f"成立要件に数える出席委員のうち非科学分野の委員は{nonscientists}名（1名以上必要）。",
        ),
    ]
    violations = [c.as_reason() for c in checks if not c.passed]
    reasons = [c.as_reason() for c in checks]
    if excluded:
        ids = ", ".join(m.id for m in excluded)
        reasons.append(
            reason(
                "US-IRB-03",
                f"Present with a conflicting interest ({ids}): no part in the review except to give information "
                "requested; not counted toward quorum.",
                f"利益相反のある出席委員（{ids}）：求められた情報の提供を除き審査に参加せず、定足数に数えない。",
            )
        )
    if not violations:
        needed = len(counted) // 2 + 1
        reasons.append(
            reason(
                "US-IRB-04",
                f"The meeting is quorate; approval needs a majority of those counted: at least {needed} vote(s) in "
                "favour.",
                f"会議は成立する。承認には成立要件に数える出席委員の過半数、すなわち{needed}票以上の賛成が必要。",
            )
        )
    return {
        "valid": not violations,
        "violations": violations,
        "rule_ids": rule_ids(reasons, "US-IRB-03", "US-IRB-04"),
        "counted_member_ids": [m.id for m in counted],
        "excluded_member_ids": [m.id for m in excluded],
        "reasons": reasons,
    }
