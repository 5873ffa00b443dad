"""What only the Redis limiter has: shared state across pools, atomic budgets under concurrency, TTLs, scripts."""

from __future__ import annotations

import asyncio
import random

import pytest
import redis
from limits_support import REDIS_URL, Clock, OwnRedis, patient_limiter

from gateway.limits.base import BudgetRule, Limiter, LimitExceeded, RateRule
from gateway.limits.memory import MemoryLimiter


async def spend_concurrently(limiters: list[Limiter], budget: BudgetRule, requests: int, max_cost: float) -> int:
    """`requests` concurrent calls that reserve `max_cost`, run a while and settle a random actual cost."""
    rng = random.Random(7)
    plan = [(rng.random() * 0.02, rng.uniform(0.2, 1.0) * max_cost) for _ in range(requests)]

    async def one(index: int) -> bool:
        limiter = limiters[index % len(limiters)]
        pause, actual = plan[index]
        try:
            reservation = await limiter.acquire([], [budget], 10, max_cost)
        except LimitExceeded:
            return False
        await asyncio.sleep(pause)
        await limiter.settle(reservation, 10, actual)
        return True

    results = await asyncio.gather(*(one(i) for i in range(requests)))
    return sum(results)


@pytest.mark.parametrize("pools", [1, 2, 4])
async def test_200_concurrent_requests_never_overspend(prefix: str, clock: Clock, pools: int) -> None:
    limiters: list[Limiter] = [patient_limiter(REDIS_URL, clock, prefix) for _ in range(pools)]
    budget = BudgetRule("team", "small", limit_usd=0.5, period="day")
    max_cost = 0.03
    try:
        accepted = await spend_concurrently(limiters, budget, 200, max_cost)
        spent = await limiters[0].spent(budget)
    finally:
        for limiter in limiters:
            await limiter.close()
    assert spent <= 0.5 + max_cost
    assert accepted >= int(0.5 / max_cost)  # holds are released: more than the worst case got through
    assert accepted < 200


async def test_concurrent_memory_budget_never_overspends(clock: Clock) -> None:
    budget = BudgetRule("team", "small", limit_usd=0.5, period="day")
    limiter = MemoryLimiter(clock=clock)
    accepted = await spend_concurrently([limiter], budget, 200, 0.03)
    assert await limiter.spent(budget) <= 0.53
    assert 16 <= accepted < 200


async def test_concurrent_rate_is_exact_across_pools(prefix: str, clock: Clock) -> None:
    limiters = [patient_limiter(REDIS_URL, clock, prefix) for _ in range(3)]
    rule = RateRule("key", "burst", rpm=50, tpm=5000)

    async def one(index: int) -> bool:
        try:
            await limiters[index % 3].acquire([rule], [], 10, 0.0)
            return True
        except LimitExceeded:
            return False

    try:
        passed = sum(await asyncio.gather(*(one(i) for i in range(200))))
    finally:
        for limiter in limiters:
            await limiter.close()
    assert passed == 50


async def test_every_key_has_a_ttl(prefix: str, clock: Clock, shared_redis: redis.Redis) -> None:
    limiter = patient_limiter(REDIS_URL, clock, prefix)
    budgets = [BudgetRule("key", "k", 5.0, "day"), BudgetRule("team", "t", 50.0, "total")]
    rates = [RateRule("key", "k", rpm=10, tpm=1000), RateRule("user", "u:1", rpm=5)]
    reservation = await limiter.acquire(rates, budgets, 100, 0.2)
    await limiter.settle(reservation, 150, 0.1)
    await limiter.seed(BudgetRule("key", "other", 1.0, "week"), 0.3)
    keys = list(shared_redis.scan_iter(match=f"{prefix}*"))
    assert len(keys) == 7  # 2 rate buckets, 2 spent, 2 holds, 1 seeded
    for key in keys:
        assert shared_redis.ttl(key) > 0, key
    assert shared_redis.get(f"{prefix}b:key:k/day:d2027-01-15") == b"100000"  # integer micro-dollars
    await limiter.close()


async def test_a_flushed_script_cache_is_reloaded(own_redis: OwnRedis, clock: Clock) -> None:
    limiter = patient_limiter(own_redis.url, clock)
    rule = RateRule("key", "k", rpm=3)
    try:
        await limiter.acquire([rule], [], 0, 0.0)
        admin = redis.Redis(port=own_redis.port)
        admin.script_flush()
        admin.close()
        await limiter.acquire([rule], [], 0, 0.0)
        await limiter.acquire([rule], [], 0, 0.0)
        with pytest.raises(LimitExceeded):
            await limiter.acquire([rule], [], 0, 0.0)
    finally:
        await limiter.close()


async def test_prefixes_isolate_deployments(prefix: str, clock: Clock) -> None:
    first = patient_limiter(REDIS_URL, clock, prefix + "a:")
    second = patient_limiter(REDIS_URL, clock, prefix + "b:")
    rule = RateRule("key", "k", rpm=1)
    try:
        await first.acquire([rule], [], 0, 0.0)
        await second.acquire([rule], [], 0, 0.0)
    finally:
        await first.close()
        await second.close()


async def test_an_unsettled_hold_expires(prefix: str, clock: Clock) -> None:
    limiter = patient_limiter(REDIS_URL, clock, prefix, hold_s=60)
    budget = BudgetRule("key", "crashy", limit_usd=1.0, period="month")
    try:
        await limiter.acquire([], [budget], 0, 0.9)  # its replica dies: never settled
        with pytest.raises(LimitExceeded):
            await limiter.acquire([], [budget], 0, 0.9)
        clock.advance(120)  # two hold slots later the hold no longer counts
        late = await limiter.acquire([], [budget], 0, 0.9)
        await limiter.settle(late, 0, 0.2)
        assert await limiter.spent(budget) == pytest.approx(0.2)
    finally:
        await limiter.close()
