"""A version of "who must act on what", changed whenever a service hands work on.

Every service that changes who acts next calls ``notifications.handoff.announce`` in its
transaction; ``announce`` calls ``work_changed`` there, which gives the version a new, never
reused value once the transaction commits. A count of someone's waiting work kept in the cache
(the navigation's "Waiting for you" badge, ``portal.selectors``) is stored with the version it
was counted at and is counted again when the version has changed, so it never outlives a
hand-off. The version is read before counting and changed after the commit, so a count made
from data older than a hand-off is always stored under an older version.
"""

import uuid

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "work:version"


def _new_version() -> str:
    return uuid.uuid4().hex


def change_work_version() -> None:
    cache.set(VERSION_KEY, _new_version(), timeout=None)


def work_changed() -> None:
    """Call inside the transaction that changed who acts next."""
    # robust: a cache that is down must not fail the committed change (the counts then live
    # out their few seconds).
    transaction.on_commit(change_work_version, robust=True)


def work_version(found: str | None) -> str:
    """The current version, given what was read under ``VERSION_KEY`` (read it together with
    the counts, in one round trip). A missing version (never set, or evicted) gets a new value,
    so no count stored before can match it."""
    if found is not None:
        return found
    cache.add(VERSION_KEY, _new_version(), timeout=None)
    return cache.get(VERSION_KEY) or _new_version()
