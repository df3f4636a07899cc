"""Whether a submission may go to expedited review (JP-ERC-10, US-IRB-05)."""

from typing import TypedDict

from .facts import StudyFacts
from .reasons import Reason, reason, rule_ids, unverified_reason
from .rulebook import Rulebook
from .vocabulary import Invasiveness, RuleSet


class ReviewPart(TypedDict):
    expedited_eligible: bool
    grounds: list[str]  # which grounds apply, e.g. "minor_change"
    rests_on_unverified_rule: bool  # eligible only through an UNVERIFIED ground
    rule_ids: list[str]
    reasons: list[Reason]


def assess_review(facts: StudyFacts, book: Rulebook) -> ReviewPart:
    if facts.rule_set is RuleSet.US:
        return _us(facts)
    return _jp(facts, book)


def _jp(facts: StudyFacts, book: Rulebook) -> ReviewPart:
    verified: list[str] = []
    unverified: list[str] = []
    reasons: list[Reason] = []
    if facts.multi_site_already_approved:
        verified.append("multi_site_already_approved")
        reasons.append(
            reason(
                "JP-ERC-10",
                "(a) Multi-site research already judged appropriate as a whole by another institution's committee "
                "(central review): expedited review is allowed.",
                "(a) 他の研究機関の倫理審査委員会で研究全体の実施の適否について既に審査を受け、"
                "適当である旨の意見を得ている多機関共同研究（一括審査済み）のため、迅速審査が可能。",
            )
        )
    if facts.minor_change:
        verified.append("minor_change")
        reasons.append(
            reason(
                "JP-ERC-10",
                "(b) A minor change to an approved protocol: expedited review is allowed.",
                "(b) 承認済みの研究計画書の軽微な変更のため、迅速審査が可能。",
            )
        )
    if not facts.interventional:
        ground = _jp_unverified_ground(facts, book)
        if ground is not None:
            unverified.append(ground[0])
            reasons.append(ground[1])
    eligible = bool(verified or unverified)
    if eligible:
        reasons.append(
            reason(
                "JP-ERC-10",
                "An expedited result counts as the committee's opinion and must be reported to ALL members.",
                "迅速審査の結果は倫理審査委員会の意見として取り扱い、全ての委員に報告しなければならない。",
            )
        )
    else:
        reasons.append(
            reason(
                "JP-ERC-10",
                "None of the expedited-review grounds applies: the full committee reviews at a meeting.",
                "迅速審査の要件のいずれにも該当しないため、倫理審査委員会の会議で審査する。",
            )
        )
    return {
        "expedited_eligible": eligible,
        "grounds": verified + unverified,
        "rests_on_unverified_rule": bool(unverified) and not verified,
        "rule_ids": rule_ids(reasons, "JP-ERC-10"),
        "reasons": reasons,
    }


def _jp_unverified_ground(facts: StudyFacts, book: Rulebook) -> tuple[str, Reason] | None:
    """JP-ERC-10 (c) and (d): UNVERIFIED, so each is a switch in the rulebook."""
    if facts.invasiveness is Invasiveness.NONE and book.flag("JP-ERC-10", "ground_c_enabled"):
        return "no_invasiveness_no_intervention", unverified_reason(
            "JP-ERC-10",
            "(c) Research without invasiveness and without intervention: expedited review is allowed by this "
            "rulebook's configurable setting.",
            "(c) 侵襲を伴わず介入を行わない研究のため、迅速審査が可能（本ルールブックの設定による）。",
        )
    if facts.invasiveness is Invasiveness.MINOR and book.flag("JP-ERC-10", "ground_d_enabled"):
        return "minor_invasiveness_no_intervention", unverified_reason(
            "JP-ERC-10",
            "(d) Research with only minor invasiveness (軽微な侵襲) and without intervention: expedited review is "
            "allowed by this rulebook's configurable setting.",
            "(d) 軽微な侵襲のみを伴い介入を行わない研究のため、迅速審査が可能（本ルールブックの設定による）。",
        )
    return None


def _us(facts: StudyFacts) -> ReviewPart:
    grounds: list[str] = []
    reasons: list[Reason] = []
    # A heuristic, not the HHS list itself: the facts only say how invasive the study is.
    if facts.invasiveness in (Invasiveness.NONE, Invasiveness.MINOR) and not facts.interventional:
        grounds.append("minimal_risk")
        reasons.append(
            reason(
                "US-IRB-05",
                "No or minor invasiveness and no intervention suggest minimal risk: expedited review may be used if "
                "the research fits a category on the HHS expedited-review list; the IRB confirms.",
                "侵襲がないか軽微で介入を行わないため最小限のリスクと推定され、HHSの迅速審査対象の区分に該当すれば"
                "迅速審査が可能。IRBが確認する。",
            )
        )
    if facts.minor_change:
        grounds.append("minor_change")
        reasons.append(
            reason(
                "US-IRB-05",
                "A minor change to approved research within the approval period: expedited review is allowed.",
                "承認期間内の承認済み研究の軽微な変更のため、迅速審査が可能。",
            )
        )
    if grounds:
        reasons.append(
            reason(
                "US-IRB-05",
                "An expedited reviewer may approve or require modifications but cannot disapprove; disapproval needs "
                "the convened IRB. All members are kept informed of expedited approvals.",
                "迅速審査の審査者は承認又は修正の要求はできるが不承認にはできず、不承認には本会議の審査が必要。"
                "迅速審査による承認は全委員に周知する。",
            )
        )
    else:
        reasons.append(
            reason(
                "US-IRB-05",
                "Not minimal risk by these facts and not a minor change: review by the convened IRB.",
                "これらの事実からは最小限のリスクとはいえず、軽微な変更でもないため、IRBの本会議で審査する。",
            )
        )
    return {
        "expedited_eligible": bool(grounds),
        "grounds": grounds,
        "rests_on_unverified_rule": False,
        "rule_ids": rule_ids(reasons),
        "reasons": reasons,
    }
