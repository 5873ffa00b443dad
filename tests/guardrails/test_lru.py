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
