"""Find everyone's "Waiting for you" again from the workflows (``notifications.inbox``): after
loading data without the services (a restore, an import), or to check the nightly job's work."""

from typing import Any

from django.core.management.base import BaseCommand

from research_governance.notifications.inbox import rebuild_all
from research_governance.notifications.models import InboxEntry, InboxItem


class Command(BaseCommand):
    help = 'Find everyone\'s "Waiting for you" again from the workflows.'

    def handle(self, *args: Any, **options: Any) -> None:
        rebuild_all()
        self.stdout.write(f"{InboxItem.objects.count()} pending items, {InboxEntry.objects.count()} entries.")
