"""Run the rules engine on a JSON file: `manage.py rules assess-study FILE`,
`manage.py rules check-committee FILE` or `manage.py rules match-use FILE` (FILE may be
`-` for standard input).

match-use matches a request's intended use against a dataset's consent scope in GA4GH
DUO terms ({"dataset": {...}, "request": {...}}, see research_governance.rules.duo) and
prints {"permitted", "unmet", "obligations", "reasons"}, the reasons in English unless
`--language ja` is given.

Prints one JSON object and exits 0 whenever the input could be assessed, whatever the
verdict. Input that cannot be assessed (unreadable file, malformed JSON, invalid facts)
gives a message naming the problem on stderr and exit status 2, like a usage error."""

import json
import sys
from argparse import ArgumentParser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from research_governance.rules import InvalidInput, assess_study, check_committee
from research_governance.rules.duo import match_use_json

INVALID_INPUT = 2

ACTIONS: dict[str, Callable[[Mapping[str, Any]], Mapping[str, Any]]] = {
    "assess-study": assess_study,
    "check-committee": check_committee,
    "match-use": match_use_json,
}


class Command(BaseCommand):
    help = "Assess a study's facts or check a committee against the rulebook; prints JSON."
    # The engine needs neither the database nor the project's checks.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        for name, summary in (
            ("assess-study", "consent procedures, foreign provision, review route and obligations of a study"),
            ("check-committee", "committee composition and, when attendance is given, meeting quorum"),
            ("match-use", "a request's intended use against a dataset's consent scope (GA4GH DUO codes)"),
        ):
            action = actions.add_parser(name, help=summary)
            action.add_argument("file", metavar="FILE", help="JSON input file, or - for standard input")
            if name == "match-use":
                action.add_argument(
                    "--language", choices=("en", "ja"), default="en", help="language of the reasons (default: en)"
                )

    def handle(self, *args: Any, **options: Any) -> None:
        action = ACTIONS[options["action"]]
        name = options["file"]
        data = _decode(_read(name), "standard input" if name == "-" else name)
        try:
            result = match_use_json(data, language=options["language"]) if action is match_use_json else action(data)
        except InvalidInput as error:
            raise CommandError(f"invalid input: {error.message}", returncode=INVALID_INPUT) from error
        self.stdout.write(json.dumps(result, sort_keys=True, ensure_ascii=False, indent=2))


def _read(name: str) -> str:
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommandError(f"{name}: file not found", returncode=INVALID_INPUT) from None
    except UnicodeDecodeError:
        raise CommandError(f"{name}: not UTF-8 text", returncode=INVALID_INPUT) from None
    except OSError as error:
        raise CommandError(f"{name}: cannot read ({error.strerror})", returncode=INVALID_INPUT) from None


def _decode(text: str, name: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{name}: malformed JSON at line {error.lineno} column {error.colno}: {error.msg}",
            returncode=INVALID_INPUT,
        ) from None
    except ValueError as error:
        raise CommandError(f"{name}: {error}", returncode=INVALID_INPUT) from None


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads would keep the last of two equal keys silently; the facts must be unambiguous.
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"{key}: duplicate key")
        seen[key] = value
    return seen


def _no_constant(name: str) -> Any:
    raise ValueError(f"malformed JSON: {name} is not a JSON value")
