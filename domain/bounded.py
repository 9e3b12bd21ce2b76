"""Bounded in-memory maps: caches that must not grow with everything a long-running process ever saw."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def make_room(entries: dict[K, V], capacity: int) -> list[V]:
    """Call before adding to ``entries``: at ``capacity`` its oldest half goes (dicts keep insertion
    order), cheap and amortised over many additions. Returns the values dropped."""
    if len(entries) < capacity:
        return []
    return [entries.pop(key) for key in list(entries)[: max(1, capacity // 2)]]
