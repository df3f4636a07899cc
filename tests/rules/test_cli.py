"""`manage.py rules assess-study|check-committee FILE`: one JSON object and exit 0 when
assessed; a message naming the problem on stderr and exit 2 when the input is invalid."""

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from .support import jp_roster, study

MANAGE = Path(__file__).resolve().parents[2] / "manage.py"


def write(tmp_path: Path, content: str) -> str:
    path = tmp_path / "input.json"
    path.write_text(content, encoding="utf-8")
    return str(path)


def run(*args: str) -> tuple[dict[str, Any], str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("rules", *args, stdout=stdout, stderr=stderr)
    return json.loads(stdout.getvalue()), stderr.getvalue()


def refused(*args: str) -> CommandError:
    with pytest.raises(CommandError) as raised:
        call_command("rules", *args, stdout=io.StringIO(), stderr=io.StringIO())
    return raised.value


def test_assess_study_prints_the_verdict_as_json(tmp_path: Path) -> None:
    result, stderr = run("assess-study", write(tmp_path, json.dumps(study(special_care_personal_info=True))))
    assert result["consent"]["allowed"] == ["written_ic", "oral_ic_with_record", "appropriate_consent"]
    assert result["rulebook_version"]
    assert stderr == ""


def test_check_committee_prints_the_check_as_json_whatever_the_verdict(tmp_path: Path) -> None:
    result, _ = run("check-committee", write(tmp_path, json.dumps({"members": jp_roster()[:3]})))
    assert result["composition"]["valid"] is False
    assert "JP-ERC-05" in [v["rule_id"] for v in result["composition"]["violations"]]


def test_the_output_is_sorted_and_keeps_japanese_as_is(tmp_path: Path) -> None:
    stdout = io.StringIO()
    call_command("rules", "assess-study", write(tmp_path, json.dumps(study())), stdout=stdout)
    text = stdout.getvalue()
    assert "インフォームド・コンセント" in text
    assert list(json.loads(text)) == sorted(json.loads(text))


def test_a_dash_reads_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(study(invasiveness="invasive"))))
    result, _ = run("assess-study", "-")
    assert result["consent"]["allowed"] == ["written_ic"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("{not json", ["malformed JSON", "line 1"]),
        ("", ["malformed JSON"]),
        ('{"acquisition": NaN}', ["NaN"]),
        ('{"acquisition": "new", "acquisition": "new"}', ["acquisition", "duplicate key"]),
        ("[]", ["input", "expected an object"]),
        (json.dumps(study(invasiveness="high")), ["invasiveness", "unknown value 'high'"]),
        (json.dumps({k: v for k, v in study().items() if k != "uses_samples"}), ["uses_samples", "missing"]),
        (json.dumps(study(interventional="no")), ["interventional", "expected true or false"]),
        (json.dumps(study(colour="blue")), ["colour", "unknown key"]),
    ],
    ids=[
        "malformed",
        "empty",
        "nan",
        "duplicate-key",
        "not-an-object",
        "unknown-enum",
        "missing",
        "wrong-type",
        "unknown-key",
    ],
)
def test_invalid_input_exits_2_naming_the_problem(tmp_path: Path, content: str, words: list[str]) -> None:
    error = refused("assess-study", write(tmp_path, content))
    assert error.returncode == 2
    for word in words:
        assert word in str(error)


def test_invalid_committee_input_exits_2(tmp_path: Path) -> None:
    error = refused("check-committee", write(tmp_path, json.dumps({"members": [{"id": "a"}]})))
    assert error.returncode == 2
    assert "members[0]" in str(error)


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    error = refused("assess-study", str(tmp_path / "nowhere.json"))
    assert error.returncode == 2
    assert "file not found" in str(error)


def test_an_unknown_action_is_a_usage_error() -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("rules", "assess-protocol", "x.json")


# Two end-to-end runs of the real process, for the exit status and the streams as a shell sees them.


def manage(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    # Fixed argv of this interpreter and the project's manage.py; the environment is the test run's.
    return subprocess.run(  # noqa: S603
        [sys.executable, str(MANAGE), "rules", *args], input=stdin, capture_output=True, text=True, timeout=120
    )


def test_the_command_exits_0_with_one_json_object_on_stdout() -> None:
    process = manage("assess-study", "-", stdin=json.dumps(study(foreign_recipients=[{"country": "US"}])))
    assert process.returncode == 0, process.stderr
    result = json.loads(process.stdout)
    assert result["foreign_provision"][0]["requires_consent_with_information"] is True


def test_the_command_exits_2_with_the_field_on_stderr() -> None:
    process = manage("assess-study", "-", stdin=json.dumps(study(deidentification="hashed")))
    assert process.returncode == 2
    assert process.stdout == ""
    assert "deidentification: unknown value 'hashed'" in process.stderr
