import argparse
import json
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from research_governance.reminders.services import reminders_scan


def iso_datetime(value: str) -> datetime:
    """An ISO-8601 date or date and time; without an offset it is read in the project's time zone."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO-8601 date or date and time (e.g. 2027-04-01 or 2027-04-01T06:00+09:00)"
        ) from error
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = (
        "Run the daily reminder scan now, inline: expire approvals whose period is over and send the "
        "reminders owed (each once). Prints a JSON summary of what was found and what was sent."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--now",
            type=iso_datetime,
            help="Scan as if it were this time (ISO-8601), e.g. to catch up a day the scan did not run.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        summary = reminders_scan(now=options["now"])
        self.stdout.write(json.dumps(summary.as_dict(), indent=2, sort_keys=True))
