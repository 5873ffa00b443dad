"""The bounded cache behind the embedder's and the PII engine's per-text caches."""

from __future__ import annotations

import pytest

from guardrails.lru import Lru


@pytest.mark.parametrize(
    ("size", "keys", "kept"),
    [
        (0, ["a", "b"], []),
        (2, ["a", "b"], ["a", "b"]),
        (2, ["a", "b", "c"], ["b", "c"]),  # the oldest goes first
        (1, ["a", "a", "b"], ["b"]),
    ],
)
def test_keeps_at_most_size_entries_newest_first(size: int, keys: list[str], kept: list[str]) -> None:
    cache: Lru[str, int] = Lru(size)
    for n, key in enumerate(keys):
        cache.put(key, n)
    assert len(cache) == len(kept)
    assert [k for k in "abc" if cache.get(k) is not None] == kept


def test_reading_an_entry_keeps_it_over_older_unread_ones() -> None:
    cache: Lru[str, int] = Lru(2)
    cache.put("system prompt", 1)
    cache.put("turn 1", 2)
    assert cache.get("system prompt") == 1  # resent with the next turn
    cache.put("turn 2", 3)
    assert cache.get("system prompt") == 1
    assert cache.get("turn 1") is None
