"""Run every periodic job of CELERY_BEAT_SCHEDULE once, inline: for cron, where there is no
`celery beat` (no Redis, `make run`). Each job is idempotent, so running it again is harmless.

`--job NAME` (repeatable) runs only those jobs, so cron can run each at its own rhythm, e.g.
`*/5 * * * * manage.py run_periodic --job redispatch-pending-notifications` and the others daily.

Jobs are looked up by task name in the Celery app's registry. A job whose task is not
registered, or that fails, is reported and the command exits non-zero, after the others ran.
"""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from research_governance import celery_app


class Command(BaseCommand):
    help = "Run each periodic job (CELERY_BEAT_SCHEDULE) once, inline, e.g. from cron."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--job", action="append", dest="jobs", metavar="NAME", help="run only this job (repeatable)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        schedule = settings.CELERY_BEAT_SCHEDULE
        jobs = options["jobs"] or list(schedule)
        unknown = [job for job in jobs if job not in schedule]
        if unknown:
            raise CommandError(f"No such periodic job: {', '.join(unknown)} (jobs: {', '.join(schedule)})")
        # What a worker does at start: import every app's tasks module, registering its tasks.
        celery_app.loader.import_default_modules()
        problems = []
        for job in jobs:
            entry = schedule[job]
            task = celery_app.tasks.get(entry["task"])
            if task is None:
                problems.append(job)
                self.stderr.write(f"{job}: task {entry['task']} is not registered")
                continue
            try:
                result = task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {})).get()
            except Exception as error:
                problems.append(job)
                self.stderr.write(f"{job}: {entry['task']} failed: {error!r}")
                continue
            self.stdout.write(f"{job}: {entry['task']} -> {result!r}")
        if problems:
            raise CommandError(f"Periodic jobs not run: {', '.join(problems)}")
