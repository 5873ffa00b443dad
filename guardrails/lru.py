"""`Lru`: a bounded mapping that forgets its least recently used entry, for the guardrails' per-text caches.

Not thread-safe by itself: its users already hold a lock around their bookkeeping.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `size` entries and, when `max_bytes` is set, at most that many bytes as their owners weigh them."""

    def __init__(self, size: int, max_bytes: int | None = None) -> None:
        self._size = size
        self._max_bytes = max_bytes
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self.bytes = 0

    def get(self, key: K) -> V | None:
        """The value, now the newest entry: a system prompt resent on every turn stays cached while it is used."""
        item = self._items.get(key)
        if item is None:
            return None
        self._items.move_to_end(key)
        return item[0]

    def put(self, key: K, value: V, weight: int = 0) -> None:
        """Keep `value`, weighing `weight` bytes (nothing at all when the size is 0, or the value alone is over
        the byte budget); the least recently used entries go until both bounds hold."""
        if not self._size or (self._max_bytes is not None and weight > self._max_bytes):
            return
        old = self._items.pop(key, None)
        self.bytes += weight - (old[1] if old else 0)
        self._items[key] = (value, weight)
        while len(self._items) > self._size or (self._max_bytes is not None and self.bytes > self._max_bytes):
            self.bytes -= self._items.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._items)
