"""Tokens each deployment served this minute, shared by the replicas through Redis, for usage-based routing.

With `limits.backend: redis` every replica adds what its deployments served to one counter per deployment and
minute, and reads the counters before it picks, so replicas agree on which deployment has the most headroom. A
Redis error never fails a request: routing then uses what this process counted (as with the memory backend).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from gateway.limits.factory import LimitsConfig
from gateway.limits.shared_redis import redis_client

log = logging.getLogger("warden.routing")
KEY_TTL_S = 120
"""A minute's counter outlives its minute by one, so a replica whose clock is a little behind still reads it."""


class SharedMinuteTokens:
    """Per-deployment token counters of the current (wall-clock) minute, in Redis under the limits prefix."""

    def __init__(self, config: LimitsConfig, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis_client(config.redis_url, config.timeout_s, config.max_connections)
        self._prefix = f"{config.key_prefix}route-tpm:"
        self._clock = clock

    def _key(self, deployment_id: str, minute: int) -> str:
        return f"{self._prefix}{minute}:{deployment_id}"

    async def add(self, deployment_id: str, tokens: int) -> None:
        if tokens <= 0:
            return
        from redis.exceptions import RedisError

        key = self._key(deployment_id, int(self._clock() // 60))
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.incrby(key, tokens)
                pipe.expire(key, KEY_TTL_S)
                await pipe.execute()
        except (RedisError, OSError) as exc:
            log.warning("usage-based routing: counting tokens in Redis failed (%s)", type(exc).__name__)

    async def read(self, deployment_ids: Sequence[str]) -> dict[str, int] | None:
        """Every replica's tokens this minute per deployment, or None when Redis cannot say."""
        from redis.exceptions import RedisError

        minute = int(self._clock() // 60)
        try:
            values = await self._redis.mget([self._key(d, minute) for d in deployment_ids])
        except (RedisError, OSError) as exc:
            log.warning("usage-based routing: reading token counts from Redis failed (%s): local counts used",
                        type(exc).__name__)
            return None
        return {d: int(v or 0) for d, v in zip(deployment_ids, values)}

    async def close(self) -> None:
        await self._redis.aclose()
