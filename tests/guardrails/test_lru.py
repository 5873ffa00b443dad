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


@pytest.mark.parametrize(
    ("weights", "kept", "kept_bytes"),
    [
        ([40, 40], ["a", "b"], 80),
        ([40, 40, 40], ["b", "c"], 80),  # the byte budget, not the entry count, evicts the oldest
        ([90, 20], ["b"], 20),
        ([40, 200], ["a"], 40),  # heavier than the whole budget: not kept, nothing evicted for it
    ],
)
def test_keeps_at_most_max_bytes(weights: list[int], kept: list[str], kept_bytes: int) -> None:
    cache: Lru[str, int] = Lru(10, max_bytes=100)
    for key, weight in zip("abc", weights):
        cache.put(key, weight, weight)
    assert [k for k in "abc" if cache.get(k) is not None] == kept
    assert cache.bytes == kept_bytes


def test_replacing_an_entry_counts_its_bytes_once() -> None:
    cache: Lru[str, int] = Lru(10, max_bytes=100)
    cache.put("a", 1, 60)
    cache.put("a", 2, 30)
    assert (cache.get("a"), cache.bytes) == (2, 30)
