"""Preview a letter template with made-up data: no database rows are read or written.

python manage.py render_sample_letter --lang ja sample.pdf
python manage.py render_sample_letter --lang en --kind permission --long sample.pdf
"""

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from research_governance.letters.content import sample_content
from research_governance.letters.models import LetterKind, LetterLanguage
from research_governance.letters.services import render_content


class Command(BaseCommand):
    help = "Render a decision letter with sample data to OUTPUT.pdf, to preview the templates."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("output", help="where to write the PDF ('-' for standard output)")
        parser.add_argument("--lang", choices=LetterLanguage.values, default=LetterLanguage.JA)
        parser.add_argument("--kind", choices=LetterKind.values, default=LetterKind.DECISION)
        parser.add_argument("--long", action="store_true", help="enough conditions to run to two pages")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        pdf = render_content(sample_content(options["lang"], options["kind"], long=options["long"]))
        elapsed = time.perf_counter() - started
        if options["output"] == "-":
            self.stdout.buffer.write(pdf)  # type: ignore[attr-defined]  # OutputWrapper passes it to its stream
            return
        Path(options["output"]).write_bytes(pdf)
        self.stderr.write(f"{options['output']}: {len(pdf)} bytes in {elapsed * 1000:.0f} ms")
