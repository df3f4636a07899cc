"""Compile the .po catalogues to .mo with polib.

Django's compilemessages needs GNU gettext's msgfmt, which a fresh machine may
not have; this needs nothing but the project's Python packages."""

from pathlib import Path
from typing import Any

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo (no GNU gettext needed)."

    def handle(self, *args: Any, **options: Any) -> None:
        compiled = 0
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                catalogue = polib.pofile(str(po_path))
                errors = [entry.msgid for entry in catalogue if entry.obsolete is False and "fuzzy" in entry.flags]
                if errors:
                    raise CommandError(f"{po_path}: {len(errors)} fuzzy entries; translate them first.")
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                catalogue.save_as_mofile(str(mo_path))
                compiled += 1
        self.stdout.write(f"Compiled {compiled} catalogue(s).")
