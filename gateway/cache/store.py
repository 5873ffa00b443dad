"""Where cached answers live: in the process (bounded, LRU) or in Redis (shared by replicas), with a TTL.

A store holds opaque bytes. It never fails a request: a Redis error is logged and reads as a miss.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING

from gateway.limits.shared_redis import redis_client

if TYPE_CHECKING:
    from gateway.config import CacheConfig
    from gateway.limits.factory import LimitsConfig

log = logging.getLogger("warden.cache")


class CacheStore(ABC):
    @abstractmethod
    async def get(self, key: str) -> bytes | None: ...

    @abstractmethod
    async def set(self, key: str, value: bytes, ttl_s: float) -> None: ...

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        return [await self.get(key) for key in keys]

    async def close(self) -> None:
        return None


class MemoryStore(CacheStore):
    """At most `max_entries` answers; the least recently used goes first."""

    def __init__(self, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._clock = clock

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        self._entries[key] = (self._clock() + ttl_s, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)


class RedisStore(CacheStore):
    """The limits store's Redis settings (URL, timeouts, pool size), its own keys under the cache's prefix."""

    def __init__(self, url: str, timeout_s: float, max_connections: int) -> None:
        # As for limits: a dead Redis costs one timeout and the request goes upstream.
        self._redis = redis_client(url, timeout_s, max_connections)

    async def get(self, key: str) -> bytes | None:
        from redis.exceptions import RedisError

        try:
            value = await self._redis.get(key)
        except (RedisError, OSError) as exc:
            log.warning("response cache read failed (%s): answered upstream", type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    async def get_many(self, keys: list[str]) -> list[bytes | None]:
        """One round trip for all keys (MGET); a Redis error reads as all misses."""
        from redis.exceptions import RedisError

        try:
            values = await self._redis.mget(keys)
        except (RedisError, OSError) as exc:
            log.warning("cache read failed (%s): read as misses", type(exc).__name__)
            return [None] * len(keys)
        return [value if isinstance(value, bytes) else None for value in values]

    async def set(self, key: str, value: bytes, ttl_s: float) -> None:
        from redis.exceptions import RedisError

        try:
            await self._redis.set(key, value, px=max(1, int(ttl_s * 1000)))
        except (RedisError, OSError) as exc:
            log.warning("response cache write failed (%s): answer not cached", type(exc).__name__)

    async def close(self) -> None:
        await self._redis.aclose()


def build_store(config: CacheConfig, limits: LimitsConfig) -> CacheStore:
    backend = config.backend or limits.backend
    if backend == "memory":
        return MemoryStore(config.max_entries)
    return RedisStore(config.redis_url or limits.redis_url, limits.timeout_s, limits.max_connections)
