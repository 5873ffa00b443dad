"""The one Redis connection the limiter talks through: the lean pipelined client (gateway/limits/resp.py) on a
plain TCP URL, redis-py's pool for TLS (`rediss://`) and Unix sockets.

Every command goes the same way, so no idle second connection goes stale while Redis restarts: the first
command after a restart meets the new server, not a socket the old one closed.
"""

from __future__ import annotations

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from gateway.limits.resp import Arg, Reply, RespClient, supports


class LimiterRedis:
    def __init__(self, url: str, *, connect_timeout_s: float, timeout_s: float, deadline_s: float,
                 max_connections: int) -> None:
        self._lean = RespClient(url, connect_timeout_s=connect_timeout_s, timeout_s=timeout_s) \
            if supports(url) else None
        self._pool: BlockingConnectionPool | None = None
        self._redis: Redis | None = None
        if self._lean is None:
            # No client-side retries: a dead Redis must cost one timeout, and the failover's breaker does the rest.
            # A small pool on purpose: 200 requests opening 64 connections at once time out on their handshakes,
            # while 16 connections serve them all in a fraction of the time.
            self._pool = BlockingConnectionPool.from_url(
                url, max_connections=max_connections, timeout=deadline_s, socket_connect_timeout=connect_timeout_s,
                socket_timeout=timeout_s, retry=Retry(NoBackoff(), 0))
            self._redis = Redis(connection_pool=self._pool)

    async def command(self, *args: Arg) -> Reply:
        """The reply as Redis sent it (integers, bulk strings as bytes, arrays as lists); errors raise redis-py's
        exception classes (NoScriptError for NOSCRIPT) on both ways."""
        if self._lean is not None:
            return await self._lean.call(*args)
        assert self._redis is not None
        return await self._redis.execute_command(*args)  # type: ignore[no-any-return]

    async def close(self) -> None:
        if self._lean is not None:
            await self._lean.close()
        if self._redis is not None and self._pool is not None:
            await self._redis.aclose()
            await self._pool.disconnect()
