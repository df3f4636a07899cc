"""Whether the inbox (``notifications.inbox``) holds exactly what the workflows find: for every
active person, every item of ``core.work.work_for`` with the same words in each language, and
nothing else; and the menu's count of them, cached between pages, is that number.
``inbox_agrees`` (tests/conftest.py) checks it after every service test."""

import json
from typing import Any

from django.conf import settings
from django.utils import translation

from research_governance.accounts.models import User
from research_governance.core.i18n import localized
from research_governance.core.work import WorkItem, work_for
from research_governance.notifications import inbox

EVERYTHING = 100_000


def facts(item: WorkItem) -> tuple[Any, ...]:
    """What a reader sees of an item (and what orders it), in the active language."""
    return (
        item.key,
        str(item.actor),
        item.step.code,
        item.due,
        item.since,
        item.rank,
        item.reference,
        localized(item.title.get("ja", ""), item.title.get("en", "")),
        item.link,
        str(item.detail),
        item.institution_id,
        item.protocol_id,
        item.request_id,
        json.dumps(item.extra, sort_keys=True, default=str),
    )


def disagreements() -> list[str]:
    """One line per person whose inbox differs from what the workflows find, saying how."""
    found = []
    for user in User.objects.filter(is_active=True).order_by("pk"):
        expected_items = work_for(user)
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                # The inbox puts an item into words as it reads it, in the reader's language.
                kept_page = inbox.first_for(user, EVERYTHING)
                expected = {facts(item) for item in expected_items}
                kept = {facts(item) for item in kept_page.items}
            if expected != kept:
                found.append(
                    f"{user.email} ({code}): missing {sorted(expected - kept, key=str)}; "
                    f"extra {sorted(kept - expected, key=str)}"
                )
                break
        if kept_page.total != len(expected_items):
            found.append(f"{user.email}: counted {kept_page.total}, found {len(expected_items)}")
        # The menu's badge, kept in the cache between the pages the test rendered.
        shown = inbox.count_for(user)
        if shown != len(expected_items):
            found.append(f"{user.email}: the menu shows {shown}, found {len(expected_items)}")
    return found


def assert_inbox_agrees() -> None:
    found = disagreements()
    assert not found, "The inbox differs from what the workflows find:\n" + "\n".join(found)
