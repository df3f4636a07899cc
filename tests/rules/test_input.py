"""assess_study refuses invalid facts with InvalidInput naming the field, never guessing."""

from typing import Any

import pytest

from research_governance.rules import InvalidInput, assess_study

from .support import BASE_STUDY, study


def test_an_unknown_value_is_refused_with_the_expected_values() -> None:
    with pytest.raises(InvalidInput) as raised:
        assess_study(study(invasiveness="high"))
    assert raised.value.field == "invasiveness"
    assert raised.value.message == "invasiveness: unknown value 'high' (expected one of: none, minor, invasive)"
    assert str(raised.value) == raised.value.message
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("key", sorted(BASE_STUDY))
def test_every_required_fact_is_required(key: str) -> None:
    data = {k: v for k, v in BASE_STUDY.items() if k != key}
    with pytest.raises(InvalidInput, match="required field is missing") as raised:
        assess_study(data)
    assert raised.value.field == key


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uses_samples": 1}, "uses_samples"),
        ({"uses_samples": "false"}, "uses_samples"),
        ({"interventional": None}, "interventional"),
        ({"personally_referable": 0}, "personally_referable"),
        ({"acquisition": ["new"]}, "acquisition"),
        ({"deidentification": "anonymised"}, "deidentification"),
        ({"rule_set": "EU"}, "rule_set"),
        ({"rule_set": "jp"}, "rule_set"),
        ({"foreign_recipients": {"country": "US"}}, "foreign_recipients"),
        ({"foreign_recipients": ["US"]}, "foreign_recipients[0]"),
        ({"foreign_recipients": [{"country": "us"}]}, "foreign_recipients[0].country"),
        ({"foreign_recipients": [{"country": "USA"}]}, "foreign_recipients[0].country"),
        ({"foreign_recipients": [{"country": "U"}]}, "foreign_recipients[0].country"),
        ({"foreign_recipients": [{"country": "US\n"}]}, "foreign_recipients[0].country"),
        ({"foreign_recipients": [{}]}, "foreign_recipients[0].country"),
        (
            {"foreign_recipients": [{"country": "US", "equivalent_measures": "no"}]},
            "foreign_recipients[0].equivalent_measures",
        ),
        ({"foreign_recipients": [{"country": "US", "name": "Lab"}]}, "foreign_recipients[0].name"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_a_wrong_type_unknown_value_or_unknown_key_names_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        assess_study(study(**changes))
    assert raised.value.field == field
    assert raised.value.message.startswith(f"{field}: ")


@pytest.mark.parametrize(
    "data", [None, [], "facts", 3, [BASE_STUDY]], ids=["null", "array", "string", "number", "list"]
)
def test_input_that_is_not_an_object_is_refused(data: Any) -> None:
    with pytest.raises(InvalidInput) as raised:
        assess_study(data)
    assert raised.value.field == "input"


def test_a_non_string_key_is_refused() -> None:
    with pytest.raises(InvalidInput, match="keys must be strings"):
        assess_study({**BASE_STUDY, 1: True})


def test_optional_facts_have_conservative_defaults() -> None:
    explicit = study(
        rule_set="JP",
        personally_referable=False,
        consent_obtainable=True,
        foreign_recipients=[],
        multi_site_already_approved=False,
        minor_change=False,
        data_origin_eea=False,
    )
    assert assess_study(explicit) == assess_study(study())
