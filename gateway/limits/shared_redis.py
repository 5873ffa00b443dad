"""A Redis client as the limits store's settings make it, for the other features that share that Redis."""

from __future__ import annotations

from typing import Any


def redis_client(url: str, timeout_s: float, max_connections: int) -> Any:
    """No client retries: a dead Redis costs one timeout and the caller goes on without it."""
    from redis.asyncio import BlockingConnectionPool, Redis  # only deployments that use Redis import it
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    pool = BlockingConnectionPool.from_url(url, max_connections=max_connections, timeout=2 * timeout_s,
                                           socket_connect_timeout=timeout_s, socket_timeout=timeout_s,
                                           retry=Retry(NoBackoff(), 0))
    return Redis(connection_pool=pool)
