"""What the research team must do beyond consent (REGULATORY.md section 3, XB-03)."""

from typing import TypedDict

from .facts import StudyFacts
from .reasons import Reason, reason, rule_ids
from .rulebook import Rulebook
from .vocabulary import Invasiveness, RuleSet


class ObligationsPart(TypedDict):
    registry_before_start: bool  # JP-R-06
    monitoring_required: bool  # JP-R-05
    sae_procedure_required: bool  # JP-R-02
    progress_report_interval_months: int | None  # JP-R-01; US-IRB-07 (None: no continuing review)
    final_report_required: bool | None  # JP-R-07; None under the US rule set (not in its rulebook)
    continuing_review_required: bool | None  # US-IRB-07; None under the JP rule set
    dpia_required: bool  # XB-03
    head_permission_before_start: bool | None  # JP-ERC-13; None under the US rule set
    own_head_permission_only: bool  # JP-ERC-12: central review done, this site asks its own head
    withdrawal_at_any_time: bool | None  # JP-IC-11; None under the US rule set
    records_retention_years: int | None  # US-IRB-08; None under the JP rule set
    rule_ids: list[str]
    reasons: list[Reason]


def assess_obligations(facts: StudyFacts, book: Rulebook, expedited_eligible: bool) -> ObligationsPart:
    part = _us(book, expedited_eligible) if facts.rule_set is RuleSet.US else _jp(facts, book)
    if facts.data_origin_eea and facts.special_care_personal_info:
        part["dpia_required"] = True
        part["reasons"].append(
            reason(
                "XB-03",
                "Special-category data (health, genetic) collected in the EEA: carry out a data-protection impact "
                "assessment before processing (GDPR Art. 35), unless the committee records that the processing is not "
                "large-scale.",
                "EEAで収集した特別な種類のデータ（健康・遺伝等）を扱うため、処理の前にデータ保護影響評価（DPIA）を行う"
                "（GDPR第35条）。大規模な処理に当たらないと委員会が記録した場合を除く。",
            )
        )
    part["rule_ids"] = rule_ids(part["reasons"])
    return part


def _jp(facts: StudyFacts, book: Rulebook) -> ObligationsPart:
    reasons: list[Reason] = []
    interval = book.number("JP-R-01", "default_interval_months")
    reasons.append(
        reason(
            "JP-R-01",
            f"Progress reports to the committee and the head every {interval} months from permission (the "
            "institution's default; the protocol may set another interval).",
            f"研究の進捗状況を許可の日から{interval}か月ごとに倫理審査委員会及び研究機関の長に報告する"
            "（機関の既定値。研究計画書で別の間隔を定めることができる）。",
        )
    )
    reasons.append(_jp_r_02(facts.invasiveness))
    monitoring = facts.invasiveness is Invasiveness.INVASIVE and facts.interventional
    if monitoring:
        reasons.append(
            reason(
                "JP-R-05",
                "Invasive (not minor) interventional research: monitoring is mandatory, with an audit when needed; an "
                "auditor may not audit their own monitoring work.",
                "侵襲（軽微な侵襲を除く）を伴い介入を行う研究のため、モニタリングは必須で、必要に応じて監査を行う。"
                "監査担当者は自らが行ったモニタリングを監査してはならない。",
            )
        )
    else:
        reasons.append(
            reason(
                "JP-R-05",
                "Monitoring is mandatory only for invasive (not minor) interventional research; this study is not.",
                "モニタリングの義務は侵襲（軽微な侵襲を除く）を伴い介入を行う研究に限られ、本研究は該当しない。",
            )
        )
    if facts.interventional:
        reasons.append(
            reason(
                "JP-R-06",
                "Interventional research: register it in jRCT or UMIN-CTR BEFORE it starts, update the entry on "
                "changes, and register the results without delay after completion.",
                "介入を行う研究のため、開始前にjRCT又はUMIN-CTRに登録し、変更時に更新し、終了後は遅滞なく結果を登録する。",
            )
        )
    else:
        reasons.append(
            reason(
                "JP-R-06",
                "Not interventional: registration in a public database is not required.",
                "介入を行わない研究のため、公開データベースへの登録は必須ではない。",
            )
        )
    reasons.append(
        reason(
            "JP-ERC-13",
            "The study may start only after the committee's opinion and then the head of institution's permission "
            "(in a public-health emergency the head may permit first; the committee's opinion follows without delay).",
            "倫理審査委員会の意見を聴いた後、研究機関の長の許可を受けてから研究を開始する"
            "（公衆衛生上の緊急時は長が先に許可し、委員会の意見を遅滞なく聴く）。",
        )
    )
    if facts.multi_site_already_approved:
        reasons.append(
            reason(
                "JP-ERC-12",
                "Multi-site study already reviewed centrally: no second full review here; this site's principal "
                "investigator asks the head of this institution for permission.",
                "一括審査を受けた多機関共同研究のため、当機関での重ねての審査は不要。当機関の研究責任者が当機関の長に"
                "実施の許可を求める。",
            )
        )
    reasons.append(
        reason(
            "JP-IC-11",
            "Participants may withdraw consent (or refuse) at any time: use and provision then stop without delay, "
            "or the principal investigator records why they cannot (e.g. already anonymised or published).",
            "研究対象者はいつでも同意を撤回（又は拒否）できる。その場合は遅滞なく利用・提供を停止し、停止できない"
            "ときは（既に匿名化・公表済み等）研究責任者がその理由を記録する。",
        )
    )
    reasons.append(
        reason(
            "JP-R-07",
            "At the end or discontinuation, report the end and a summary of the results to the committee and the head "
            "without delay.",
            "研究を終了（中止を含む）したときは、遅滞なくその旨及び結果の概要を倫理審査委員会及び研究機関の長に報告する。",
        )
    )
    return {
        "registry_before_start": facts.interventional,
        "monitoring_required": monitoring,
        "sae_procedure_required": facts.invasiveness is not Invasiveness.NONE,
        "progress_report_interval_months": interval,
        "final_report_required": True,
        "continuing_review_required": None,
        "dpia_required": False,
        "head_permission_before_start": True,
        "own_head_permission_only": facts.multi_site_already_approved,
        "withdrawal_at_any_time": True,
        "records_retention_years": None,
        "rule_ids": [],
        "reasons": reasons,
    }


def _jp_r_02(invasiveness: Invasiveness) -> Reason:
    if invasiveness is Invasiveness.NONE:
        return reason(
            "JP-R-02",
            "No invasiveness: the serious-adverse-event procedure of invasive research is not required.",
            "侵襲を伴わない研究のため、侵襲を伴う研究における重篤な有害事象発生時の手順の記載は不要。",
        )
    # REGULATORY.md says "invasive research" without excluding minor invasiveness; the
    # safe reading includes it, and the reason says so.
    minor_en = (
        " (minor invasiveness is treated as invasive for this rule)" if invasiveness is Invasiveness.MINOR else ""
    )
    minor_ja = "（本ルールでは軽微な侵襲も侵襲として扱う）" if invasiveness is Invasiveness.MINOR else ""
    return reason(
        "JP-R-02",
        f"Invasive research{minor_en}: the protocol must state the serious-adverse-event procedure before the study "
        "starts; the PI reports a serious adverse event promptly to the head and seeks the committee's opinion.",
        f"侵襲を伴う研究{minor_ja}のため、研究の開始前に重篤な有害事象発生時の対応手順を研究計画書に記載する。"
        "発生時は研究責任者が速やかに研究機関の長に報告し、倫理審査委員会の意見を聴く。",
    )


def _us(book: Rulebook, expedited_eligible: bool) -> ObligationsPart:
    interval = book.number("US-IRB-07", "interval_months")
    if expedited_eligible:
        reasons = [
            reason(
                "US-IRB-07",
                "Expedited-eligible research: under the 2018 Common Rule continuing review is not required unless the "
                f"IRB decides otherwise; FDA-regulated research still needs it at least every {interval} months.",
                "迅速審査の対象となる研究のため、2018年改正コモンルールではIRBが別に判断しない限り継続審査は不要。"
                f"ただしFDA規制下の研究は少なくとも{interval}か月ごとの継続審査が必要。",
            )
        ]
    else:
        reasons = [
            reason(
                "US-IRB-07",
                f"Continuing review by the IRB at least every {interval} months.",
                f"IRBによる継続審査を少なくとも{interval}か月ごとに受ける。",
            )
        ]
    retention = 3
    reasons.append(
        reason(
            "US-IRB-08",
            f"The IRB's minutes record attendance, actions and votes (for, against, abstaining); the study's records "
            f"are kept at least {retention} years after completion.",
            f"IRBの議事録に出席、決定及び投票（賛成・反対・棄権）を記録し、研究の記録は終了後少なくとも{retention}年間"
            "保存する。",
        )
    )
    return {
        "registry_before_start": False,
        "monitoring_required": False,
        "sae_procedure_required": False,
        "progress_report_interval_months": None if expedited_eligible else interval,
        "final_report_required": None,
        "continuing_review_required": not expedited_eligible,
        "dpia_required": False,
        "head_permission_before_start": None,
        "own_head_permission_only": False,
        "withdrawal_at_any_time": None,
        "records_retention_years": retention,
        "rule_ids": [],
        "reasons": reasons,
    }
