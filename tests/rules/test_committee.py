"""check_committee: composition (JP-ERC-01..05, US-IRB-01/02) and quorum (JP-ERC-06..08,
US-IRB-03/04)."""

from typing import Any

import pytest

from research_governance.rules import InvalidInput, check_committee

from .support import jp_roster, member, us_roster


def violated(part: dict[str, Any]) -> list[str]:
    return [v["rule_id"] for v in part["violations"]]


def present(roster: list[dict[str, Any]], *ids: str) -> list[dict[str, Any]]:
    return [{**m, "present": m["id"] in ids} for m in roster]


# --- Japan: composition -------------------------------------------------------------------


def test_a_roster_meeting_jp_erc_01_to_05_is_valid() -> None:
    result = check_committee({"members": jp_roster()})
    composition = result["composition"]
    assert composition["valid"] is True
    assert composition["violations"] == []
    assert composition["rule_ids"] == ["JP-ERC-01", "JP-ERC-02", "JP-ERC-03", "JP-ERC-04", "JP-ERC-05"]
    assert result["quorum"] is None
    assert result["rule_set"] == "JP"


def test_a_roster_without_a_general_public_member_breaks_jp_erc_01() -> None:
    composition = check_committee({"members": jp_roster(m4={"category": "natural_science"})})["composition"]
    assert violated(composition) == ["JP-ERC-01"]
    assert "general public" in composition["violations"][0]["en"]
    assert "一般の立場" in composition["violations"][0]["ja"]


def test_one_category_per_member_jp_erc_02_is_guaranteed_by_the_input_and_listed() -> None:
    composition = check_committee({"members": jp_roster()})["composition"]
    assert "JP-ERC-02" in composition["rule_ids"]
    with pytest.raises(InvalidInput, match=r"members\[0\]\.category"):
        check_committee({"members": [member("x", ["natural_science", "general_public"])]})


def test_a_roster_with_one_external_member_breaks_jp_erc_03() -> None:
    composition = check_committee({"members": jp_roster(m3={"external": False})})["composition"]
    assert violated(composition) == ["JP-ERC-03"]
    assert "1 external" in composition["violations"][0]["en"]


@pytest.mark.parametrize("sex", ["male", "female"])
def test_a_roster_of_one_sex_breaks_jp_erc_04(sex: str) -> None:
    roster = [{**m, "sex": sex} for m in jp_roster()]
    assert violated(check_committee({"members": roster})["composition"]) == ["JP-ERC-04"]


def test_other_or_unstated_sex_counts_as_neither_man_nor_woman_for_jp_erc_04() -> None:
    roster = [{**m, "sex": "other" if m["sex"] == "male" else m["sex"]} for m in jp_roster()]
    assert violated(check_committee({"members": roster})["composition"]) == ["JP-ERC-04"]


def test_a_roster_of_four_breaks_jp_erc_05() -> None:
    roster = [m for m in jp_roster() if m["id"] != "m5"]
    composition = check_committee({"members": roster})["composition"]
    assert violated(composition) == ["JP-ERC-05"]
    assert "4 member" in composition["violations"][0]["en"]


def test_an_empty_roster_breaks_every_jp_test_but_is_valid_input() -> None:
    composition = check_committee({"members": []})["composition"]
    assert violated(composition) == ["JP-ERC-01", "JP-ERC-03", "JP-ERC-04", "JP-ERC-05"]


# --- Japan: quorum ------------------------------------------------------------------------


def test_quorum_is_checked_only_when_attendance_is_given_jp_erc_06() -> None:
    assert check_committee({"members": jp_roster()})["quorum"] is None
    quorum = check_committee({"members": present(jp_roster(), "m1", "m2", "m3", "m4", "m5")})["quorum"]
    assert quorum is not None
    assert quorum["valid"] is True
    assert quorum["counted_member_ids"] == ["m1", "m2", "m3", "m4", "m5"]
    assert {"JP-ERC-06", "JP-ERC-07", "JP-ERC-08"} <= set(quorum["rule_ids"])


def test_members_without_present_are_absent_once_attendance_is_given_jp_erc_06() -> None:
    roster = jp_roster(m1={"present": True})
    quorum = check_committee({"members": roster})["quorum"]
    assert quorum is not None
    assert quorum["counted_member_ids"] == ["m1"]
    assert quorum["valid"] is False


def test_a_meeting_whose_attendance_fails_the_composition_tests_is_not_quorate_jp_erc_06() -> None:
    # Six members; the general-public member stays away, so those present lack category (c).
    roster = [*jp_roster(), member("m6", "natural_science", external=True, sex="female")]
    result = check_committee({"members": present(roster, "m1", "m2", "m3", "m5", "m6")})
    assert result["composition"]["valid"] is True
    quorum = result["quorum"]
    assert quorum is not None
    assert quorum["valid"] is False
    assert violated(quorum) == ["JP-ERC-06"]
    assert "(JP-ERC-01)" in quorum["violations"][0]["en"]
    assert any("cannot issue an opinion" in r["en"] for r in quorum["reasons"])


def test_a_conflicted_member_present_is_not_counted_jp_erc_07_jp_erc_08() -> None:
    roster = jp_roster(m4={"conflict": True})
    quorum = check_committee({"members": present(roster, "m1", "m2", "m3", "m4", "m5")})["quorum"]
    assert quorum is not None
    assert quorum["counted_member_ids"] == ["m1", "m2", "m3", "m5"]
    assert quorum["excluded_member_ids"] == ["m4"]
    # Without m4 there is no general-public member, one external, and only four members.
    assert quorum["valid"] is False
    assert [v["en"].rsplit("(", 1)[1] for v in quorum["violations"]] == ["JP-ERC-01)", "JP-ERC-03)", "JP-ERC-05)"]
    assert any("m4" in r["en"] for r in quorum["reasons"] if r["rule_id"] == "JP-ERC-07")
    assert any("principal investigator" in r["en"] for r in quorum["reasons"] if r["rule_id"] == "JP-ERC-08")


def test_a_conflict_of_an_absent_member_changes_nothing_jp_erc_07() -> None:
    roster = [*jp_roster(), member("m6", conflict=True)]
    quorum = check_committee({"members": present(roster, "m1", "m2", "m3", "m4", "m5")})["quorum"]
    assert quorum is not None
    assert quorum["valid"] is True
    assert quorum["excluded_member_ids"] == []


# --- United States ------------------------------------------------------------------------


def test_a_us_roster_meeting_us_irb_01_and_02_is_valid() -> None:
    result = check_committee({"rule_set": "US", "members": us_roster()})
    assert result["composition"]["valid"] is True
    assert result["composition"]["rule_ids"] == ["US-IRB-01", "US-IRB-02"]
    assert result["rule_set"] == "US"


def test_a_us_roster_of_four_or_of_one_sex_breaks_us_irb_01() -> None:
    small = check_committee({"rule_set": "US", "members": us_roster()[:4]})["composition"]
    assert violated(small) == ["US-IRB-01"]
    all_women = check_committee({"rule_set": "US", "members": [{**m, "sex": "female"} for m in us_roster()]})
    assert violated(all_women["composition"]) == ["US-IRB-01"]
    assert "one sex" in all_women["composition"]["violations"][0]["en"]


@pytest.mark.parametrize(
    ("changes", "phrase"),
    [
        ({"u1": {"scientist": False}, "u2": {"scientist": False}, "u4": {"scientist": False}}, "scientist member"),
        ({"u3": {"scientist": True}, "u5": {"scientist": True}}, "nonscientist"),
        ({"u3": {"external": False}}, "not affiliated"),
    ],
    ids=["no-scientist", "no-nonscientist", "no-unaffiliated"],
)
def test_a_us_roster_without_scientist_nonscientist_or_unaffiliated_breaks_us_irb_02(
    changes: dict[str, dict[str, Any]], phrase: str
) -> None:
    composition = check_committee({"rule_set": "US", "members": us_roster(**changes)})["composition"]
    assert violated(composition) == ["US-IRB-02"]
    assert phrase in composition["violations"][0]["en"]


def test_us_quorum_is_a_majority_including_a_nonscientist_us_irb_04() -> None:
    quorum = check_committee({"rule_set": "US", "members": present(us_roster(), "u1", "u2", "u3")})["quorum"]
    assert quorum is not None
    assert quorum["valid"] is True
    assert any("at least 2 vote" in r["en"] for r in quorum["reasons"])
    minority = check_committee({"rule_set": "US", "members": present(us_roster(), "u1", "u3")})["quorum"]
    assert minority is not None
    assert violated(minority) == ["US-IRB-04"]
    scientists_only = check_committee({"rule_set": "US", "members": present(us_roster(), "u1", "u2", "u4")})["quorum"]
    assert scientists_only is not None
    assert violated(scientists_only) == ["US-IRB-04"]
    assert "nonscientist" in scientists_only["violations"][0]["en"]


def test_a_conflicted_us_member_is_not_counted_us_irb_03() -> None:
    roster = us_roster(u3={"conflict": True})
    quorum = check_committee({"rule_set": "US", "members": present(roster, "u1", "u2", "u3", "u5")})["quorum"]
    assert quorum is not None
    assert quorum["counted_member_ids"] == ["u1", "u2", "u5"]
    assert quorum["excluded_member_ids"] == ["u3"]
    assert quorum["valid"] is True
    assert "US-IRB-03" in quorum["rule_ids"]
    roster = us_roster(u3={"conflict": True}, u5={"conflict": True})
    quorum = check_committee({"rule_set": "US", "members": present(roster, "u1", "u2", "u3", "u5")})["quorum"]
    assert quorum is not None
    # Two of five counted is no majority, and no nonscientist is left.
    assert violated(quorum) == ["US-IRB-04", "US-IRB-04"]


# --- input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"members": [{"id": "a", "external": False, "sex": "male"}]}, "members[0].category"),
        ({"rule_set": "US", "members": [{"id": "a", "external": False, "sex": "male"}]}, "members[0].scientist"),
        ({"members": [member("a"), member("a")]}, "members[1].id"),
        ({"members": [member("a", role="chair")]}, "members[0].role"),
        ({"members": [member("a", sex="unknown")]}, "members[0].sex"),
        ({"members": [member("a", present="yes")]}, "members[0].present"),
        ({"members": [member("")]}, "members[0].id"),
        ({"members": "m1"}, "members"),
        ({}, "members"),
        ({"members": [], "quorum": True}, "quorum"),
        ({"rule_set": "EU", "members": []}, "rule_set"),
    ],
    ids=[
        "jp-needs-category",
        "us-needs-scientist",
        "duplicate-id",
        "unknown-member-key",
        "unknown-sex",
        "present-not-bool",
        "empty-id",
        "members-not-array",
        "members-missing",
        "unknown-top-level-key",
        "unknown-rule-set",
    ],
)
def test_invalid_committee_input_names_the_field(data: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_committee(data)
    assert raised.value.field == field
    assert raised.value.message.startswith(field + ":")
