"""Cached numbers that a write makes stale (the menu's counts on every page)."""

from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction


def forget(keys: Iterable[str]) -> None:
    """Drop these cache keys now, and again when the transaction commits: a page rendered in
    between would otherwise cache the old value."""
    keys = sorted(set(keys))
    if not keys:
        return
    cache.delete_many(keys)

    def forget_after_commit() -> None:
        cache.delete_many(keys)

    # robust: a cache that is down must not fail the change. A named function: Django logs a
    # robust callback's __qualname__.
    transaction.on_commit(forget_after_commit, robust=True)
