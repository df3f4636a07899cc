"""Foreign recipients: the APPI rule (JP-IC-09, XB-01) and GDPR Chapter V (XB-02).

Country membership comes from the rulebook's country lists (data with their own
versions), and each verdict names the list version it was assessed against."""

from typing import TypedDict

from .facts import ForeignRecipient, StudyFacts
from .reasons import Reason, reason, rule_ids
from .rulebook import Rulebook
from .vocabulary import RuleSet


class ForeignPart(TypedDict):
    country: str
    designated: bool  # APPI-designated country (EU/EEA, GB)
    equivalent_measures: bool
    requires_consent_with_information: bool  # JP-IC-09 / XB-01
    gdpr_transfer_basis_required: bool  # XB-02
    gdpr_adequacy: bool | None  # XB-02: country has an adequacy decision; None when XB-02 does not apply
    list_version: str
    rule_ids: list[str]
    reasons: list[Reason]


def assess_foreign(facts: StudyFacts, book: Rulebook) -> list[ForeignPart]:
    """One verdict per recipient, in input order."""
    return [_assess(recipient, facts, book) for recipient in facts.foreign_recipients]


def _assess(recipient: ForeignRecipient, facts: StudyFacts, book: Rulebook) -> ForeignPart:
    country = recipient.country
    designated = country in book.designated_countries
    reasons: list[Reason] = []
    requires_consent = False
    if facts.rule_set is RuleSet.JP and country == "JP":
        # The rule set's own country: not a foreign recipient at all.
        reasons.append(
            reason(
                "JP-IC-09",
                "The recipient is in Japan: not a foreign recipient; the rules above apply without foreign additions.",
                "提供先は日本国内にあるため外国にある者への提供には当たらず、上記の規定のみが適用される。",
            )
        )
    elif facts.rule_set is RuleSet.JP:
        requires_consent = not designated and not recipient.equivalent_measures
        reasons += _appi(recipient, designated, book)
    else:
        reasons.append(
            reason(
                "XB-01",
                f"Recipient in {country}: the APPI rule on foreign provision does not apply under the US rule set.",
                f"提供先は{country}。米国のルールセットでは、個人情報保護法の外国にある第三者への提供の規定は適用されない。",
            )
        )
    transfer_required, adequacy, gdpr_reasons = _gdpr(country, facts, book)
    reasons += gdpr_reasons
    return {
        "country": country,
        "designated": designated,
        "equivalent_measures": recipient.equivalent_measures,
        "requires_consent_with_information": requires_consent,
        "gdpr_transfer_basis_required": transfer_required,
        "gdpr_adequacy": adequacy,
        "list_version": book.list_version,
        "rule_ids": rule_ids(reasons),
        "reasons": reasons,
    }


def _appi(recipient: ForeignRecipient, designated: bool, book: Rulebook) -> list[Reason]:
    country = recipient.country
    version = book.designated_list.version
    if designated:
        return [
            reason(
                "JP-IC-09",
                f"{country} is an APPI-designated country (EU/EEA or the UK; list {version}): no extra consent "
                "requirement for the foreign provision.",
                f"{country}は個人情報保護法に基づく指定国（EU・EEA加盟国又は英国、リスト版{version}）のため、"
                "外国への提供について追加の同意要件はない。",
            ),
            reason(
                "XB-01",
                "The APPI allows provision to a designated country without consent for the foreign provision itself.",
                "個人情報保護法上、指定国への提供には外国にある第三者への提供についての同意は不要。",
            ),
        ]
    if recipient.equivalent_measures:
        return [
            reason(
                "JP-IC-09",
                f"The recipient in {country} keeps an equivalent-protection system (contract or internal rules): no "
                "extra consent requirement; keep the evidence of those measures.",
                f"{country}の提供先は同等の保護に必要な体制（契約又は内部規程）を整備しているため、追加の同意要件はない。"
                "その根拠を記録として保管する。",
            ),
            reason(
                "XB-01",
                "The APPI allows provision to a recipient with an equivalent-protection system without consent for "
                "the foreign provision itself.",
                "個人情報保護法上、同等の保護に必要な体制を整備している提供先への提供には、外国への提供についての同意は不要。",
            ),
        ]
    return [
        reason(
            "JP-IC-09",
            f"{country} is not an APPI-designated country (list {version}) and the recipient has no "
            "equivalent-protection system: appropriate consent is needed after the subject is told the country's "
            "name, its personal-data protection system and the recipient's protection measures.",
            f"{country}は個人情報保護法の指定国ではなく（リスト版{version}）、提供先も同等の保護に必要な体制を整備していないため、"
            "当該国の名称、その国の個人情報保護制度及び提供先が講ずる保護措置の情報を研究対象者に提供した上で適切な同意を受ける必要がある。",
        ),
        reason(
            "XB-01",
            "The APPI requires the subject's consent, with that information, for provision to a third party abroad.",
            "個人情報保護法上、外国にある第三者への提供には、これらの情報を提供した上での本人の同意が必要。",
        ),
    ]


def _gdpr(country: str, facts: StudyFacts, book: Rulebook) -> tuple[bool, bool | None, list[Reason]]:
    """(transfer basis required, adequacy decision exists, reasons) under XB-02."""
    if not facts.data_origin_eea:
        if facts.rule_set is RuleSet.US:
            # Under the US rule set XB-02 is the only rule that can bite; say that it does not.
            return (
                False,
                None,
                [
                    reason(
                        "XB-02",
                        "The data do not come from the EEA: no GDPR transfer requirement.",
                        "データはEEA由来ではないため、GDPRの移転要件はない。",
                    )
                ],
            )
        return False, None, []
    if country in book.eea_countries:
        return (
            False,
            None,
            [
                reason(
                    "XB-02",
                    f"{country} is in the EEA: sending data collected in the EEA there is not a GDPR Chapter V "
                    "transfer.",
                    f"{country}はEEA域内のため、EEAで収集したデータの提供はGDPR第5章の移転に当たらない。",
                )
            ],
        )
    version = book.adequacy_list.version
    if country in book.adequacy_countries:
        note = book.adequacy_list.country_notes.get(country, "")
        scope = f" {note}" if note else ""
        return (
            True,
            True,
            [
                reason(
                    "XB-02",
                    f"Data collected in the EEA go to {country}, outside the EEA: a GDPR transfer basis is required. "
                    f"{country} has an adequacy decision (list {version}).{scope} Check the recipient is within its "
                    "scope; otherwise use standard contractual clauses (Art. 46) or a narrow Art. 49 derogation.",
                    f"EEAで収集したデータをEEA域外の{country}へ移転するため、GDPR上の移転の根拠が必要。"
                    f"{country}には十分性認定がある（リスト版{version}）。提供先が認定の範囲内か確認し、"
                    "範囲外であれば標準契約条項（第46条）又は第49条の限定的な例外による。",
                )
            ],
        )
    return (
        True,
        False,
        [
            reason(
                "XB-02",
                f"Data collected in the EEA go to {country}, outside the EEA, which has no adequacy decision (list "
                f"{version}): use standard contractual clauses or other appropriate safeguards (Art. 46), or a narrow "
                "Art. 49 derogation such as explicit consent after being told the risks.",
                f"EEAで収集したデータを十分性認定のないEEA域外の{country}へ移転するため（リスト版{version}）、"
                "標準契約条項等の適切な保護措置（第46条）、又はリスクの説明を受けた上での明示的な同意等の第49条の限定的な例外が必要。",
            )
        ],
    )
