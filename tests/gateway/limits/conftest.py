"""Fixtures for the limiter tests: a movable clock, both limiters over it, and throwaway Redis servers."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import redis
from limits_support import REDIS_URL, Clock, LimiterFactory, OwnRedis, patient_limiter

from gateway.limits.base import Limiter
from gateway.limits.memory import MemoryLimiter


@pytest.fixture(scope="session")
def shared_redis() -> Iterator[redis.Redis]:
    """The machine's Redis; the tests fail (never skip) when it is not there."""
    client = redis.Redis.from_url(REDIS_URL, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is required by the limiter tests: {exc}")
    yield client
    client.close()


@pytest.fixture
def prefix(shared_redis: redis.Redis) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards."""
    value = f"warden-test:{uuid.uuid4().hex[:12]}:"
    yield value
    keys = list(shared_redis.scan_iter(match=f"{value}*", count=500))
    if keys:
        shared_redis.delete(*keys)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture(params=["memory", "redis"])
async def make_limiter(request: pytest.FixtureRequest, prefix: str, clock: Clock) -> AsyncIterator[LimiterFactory]:
    """Builds limiters of one kind sharing one state (one memory instance, or several Redis pools)."""
    made: list[Limiter] = []
    memory = MemoryLimiter(clock=clock)

    async def make() -> Limiter:
        if request.param == "memory":
            return memory
        limiter = patient_limiter(REDIS_URL, clock, prefix)
        made.append(limiter)
        return limiter

    yield make
    for limiter in made:
        await limiter.close()


@pytest.fixture
async def limiter(make_limiter: LimiterFactory) -> Limiter:
    return await make_limiter()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    yield server
    server.stop()
