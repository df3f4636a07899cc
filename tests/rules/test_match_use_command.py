"""`manage.py rules match-use FILE`: the issue's JSON shape and exit 0 when assessed; a
message naming the problem on stderr and exit 2 when the input is invalid."""

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .test_duo import ISSUE_EXAMPLE

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "match.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def run(*args: str) -> dict[str, Any]:
    stdout = io.StringIO()
    call_command("rules", "match-use", *args, stdout=stdout, stderr=io.StringIO())
    return json.loads(stdout.getvalue())


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        call_command("rules", "match-use", *args, stdout=io.StringIO(), stderr=io.StringIO())
    assert raised.value.returncode == 2
    return raised.value


def changed(**changes: Any) -> dict[str, Any]:
    """The issue's example with fields of "dataset" / "request" replaced (None: removed)."""
    data = copy.deepcopy(ISSUE_EXAMPLE)
    for path, value in changes.items():
        side, key = path.split("__")
        if value is None:
            data[side].pop(key, None)
        else:
            data[side][key] = value
    return data


def test_the_issue_example_exits_0_permitted_with_nothing_unmet_or_owed(tmp_path: Path) -> None:
    result = run(write(tmp_path, json.dumps(ISSUE_EXAMPLE)))
    assert {k: v for k, v in result.items() if k != "reasons"} == {"permitted": True, "unmet": [], "obligations": []}
    assert set(result) == {"permitted", "unmet", "obligations", "reasons"}
    assert result["reasons"]
    assert result["reasons"][0].startswith("HMB (DUO:0000006, ")


def test_a_refused_use_still_exits_0_with_the_unmet_terms(tmp_path: Path) -> None:
    data = changed(request__commercial=True, request__country="US")
    result = run(write(tmp_path, json.dumps(data)))
    assert result["permitted"] is False
    assert result["unmet"] == ["NPU", "GS"]


def test_obligations_are_listed(tmp_path: Path) -> None:
    data = changed(dataset__modifiers=["NPU", "GS", "IRB", "PUB", "RTN"])
    result = run(write(tmp_path, json.dumps(data)))
    assert result["permitted"] is True
    assert result["obligations"] == ["PUB", "RTN"]


def test_reasons_in_japanese_on_request(tmp_path: Path) -> None:
    result = run(write(tmp_path, json.dumps(ISSUE_EXAMPLE)), "--language", "ja")
    assert result["reasons"][0].startswith("HMB（DUO:0000006、")


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(changed(request__ethics_approval=False))))
    assert run("-")["unmet"] == ["IRB"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", ["malformed JSON"]),
        ("[]", ["input", "expected an object"]),
        (json.dumps({"dataset": ISSUE_EXAMPLE["dataset"]}), ["request", "missing"]),
        (json.dumps(changed(dataset__permission="ABC")), ["dataset.permission", "unknown DUO code 'ABC'"]),
        (json.dumps(changed(dataset__modifiers=["NPU", "XYZ"])), ["dataset.modifiers[1]", "unknown DUO code 'XYZ'"]),
        (json.dumps(changed(dataset__permission="DS")), ["dataset.diseases", "DS needs at least one disease"]),
        (json.dumps(changed(request__diseases=[])), ["request.diseases", "DS needs at least one disease"]),
        (json.dumps(changed(dataset__countries=None)), ["dataset.countries", "GS needs at least one country"]),
        (
            json.dumps(changed(dataset__modifiers=["TS"], dataset__time_limit=None)),
            ["dataset.time_limit", "TS needs the date"],
        ),
        (json.dumps(changed(dataset__time_limit="2027-02-30")), ["dataset.time_limit", "not a valid date"]),
        (json.dumps(changed(request__date="1 Dec 2026")), ["request.date", "not a valid date"]),
        (json.dumps(changed(request__commercial="no")), ["request.commercial", "expected true or false"]),
        (json.dumps(changed(request__colour="blue")), ["request.colour", "unknown key"]),
    ],
    ids=[
        "malformed",
        "not-an-object",
        "no-request",
        "unknown-permission",
        "unknown-modifier",
        "ds-without-diseases",
        "ds-purpose-without-diseases",
        "gs-without-countries",
        "ts-without-date",
        "bad-date",
        "bad-request-date",
        "wrong-type",
        "unknown-key",
    ],
)
def test_invalid_input_exits_2_naming_the_problem(tmp_path: Path, content: str, words: list[str]) -> None:
    error = refused(write(tmp_path, content))
    for word in words:
        assert word in str(error)


def manage(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # Fixed argv of this interpreter and the project's manage.py; the environment is the test run's.
    return subprocess.run(  # noqa: S603
        [sys.executable, str(MANAGE), "rules", "match-use", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_command_prints_the_example_verdict_from_stdin_and_exits_0() -> None:
    process = manage("-", stdin=json.dumps(ISSUE_EXAMPLE))
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)
    assert (result["permitted"], result["unmet"], result["obligations"]) == (True, [], [])


def test_the_command_exits_2_with_the_field_on_stderr() -> None:
    process = manage("-", stdin=json.dumps(changed(dataset__modifiers=["GS", "NOPE"])))
    assert process.returncode == 2
    assert process.stdout == ""
    assert "dataset.modifiers[1]: unknown DUO code 'NOPE'" in process.stderr
