"""Redis down: fail open on the memory limiter or fail closed, within bounded time, and come back."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence

import pytest
from limits_support import Clock, OwnRedis, count_passing, free_port

from gateway.limits.base import BudgetRule, Limiter, LimiterUnavailable, LimitExceeded, RateRule, Reservation
from gateway.limits.failover import FailoverLimiter, FailureMode
from gateway.limits.memory import MemoryLimiter
from gateway.limits.redis_limiter import RedisLimiter

RULE = RateRule("key", "k", rpm=3)


class Flaky(Limiter):
    """A primary that is up or down on command and counts the calls that reached it."""

    def __init__(self, clock: Clock) -> None:
        self.inner = MemoryLimiter(clock=clock)
        self.up = True
        self.calls = 0
        self.settled: list[float] = []

    async def acquire(
        self, rates: Sequence[RateRule], budgets: Sequence[BudgetRule], tokens: int, max_cost_usd: float
    ) -> Reservation:
        self.calls += 1
        await asyncio.sleep(0)
        if not self.up:
            raise LimiterUnavailable("down")
        return await self.inner.acquire(rates, budgets, tokens, max_cost_usd)

    async def extend(self, reservation: Reservation, max_cost_usd: float) -> None:
        if not self.up:
            raise LimiterUnavailable("down")
        await self.inner.extend(reservation, max_cost_usd)

    async def settle(self, reservation: Reservation, tokens: int, cost_usd: float) -> None:
        self.settled.append(cost_usd)

    async def spent(self, budget: BudgetRule) -> float:
        if not self.up:
            raise LimiterUnavailable("down")
        return await self.inner.spent(budget)

    async def seed(self, budget: BudgetRule, spent_usd: float) -> None:
        if not self.up:
            raise LimiterUnavailable("down")
        await self.inner.seed(budget, spent_usd)


@pytest.mark.parametrize(
    ("mode", "outcome"),
    [("open", "fallback"), ("closed", "unavailable")],
)
async def test_the_breaker_skips_a_dead_primary_then_probes_it(clock: Clock, mode: FailureMode, outcome: str) -> None:
    primary = Flaky(clock)
    limiter = FailoverLimiter(primary, MemoryLimiter(clock=clock), mode, retry_interval_s=5, clock=clock)
    assert (await limiter.acquire([RULE], [], 0, 0.0)).backend == "primary"
    primary.up = False
    for _ in range(5):
        if outcome == "fallback":
            assert (await limiter.acquire([], [], 0, 0.0)).backend == "fallback"
        else:
            with pytest.raises(LimiterUnavailable):
                await limiter.acquire([], [], 0, 0.0)
    assert primary.calls == 2  # one success, one failure; the breaker kept the other four away
    assert limiter.degraded
    clock.advance(5)
    primary.up = True
    assert (await limiter.acquire([RULE], [], 0, 0.0)).backend == "primary"
    assert not limiter.degraded
    assert primary.calls == 3


async def test_only_one_request_probes(clock: Clock) -> None:
    primary = Flaky(clock)
    primary.up = False
    limiter = FailoverLimiter(primary, MemoryLimiter(clock=clock), "open", retry_interval_s=5, clock=clock)
    await limiter.acquire([], [], 0, 0.0)
    clock.advance(5)
    backends = [r.backend for r in await asyncio.gather(*(limiter.acquire([], [], 0, 0.0) for _ in range(20)))]
    assert primary.calls == 2
    assert backends.count("fallback") == 20


async def test_fail_open_still_enforces_limits_locally(clock: Clock) -> None:
    primary = Flaky(clock)
    primary.up = False
    limiter = FailoverLimiter(primary, MemoryLimiter(clock=clock), "open", clock=clock)
    for _ in range(3):
        await limiter.acquire([RULE], [], 0, 0.0)
    with pytest.raises(LimitExceeded):
        await limiter.acquire([RULE], [], 0, 0.0)


async def _held_on_each(clock: Clock) -> tuple[Flaky, MemoryLimiter, FailoverLimiter, Reservation, Reservation]:
    """A failover limiter with one 0.5 USD hold of budget `key:k` on its primary, then one on its fallback (the
    primary down)."""
    primary, fallback = Flaky(clock), MemoryLimiter(clock=clock)
    limiter = FailoverLimiter(primary, fallback, "open", retry_interval_s=5, clock=clock)
    on_primary = await limiter.acquire([], [BUDGET], 0, 0.5)
    primary.up = False
    on_fallback = await limiter.acquire([], [BUDGET], 0, 0.5)
    return primary, fallback, limiter, on_primary, on_fallback


BUDGET = BudgetRule("key", "k", 1.0)


async def test_settle_goes_to_the_limiter_that_charged(clock: Clock) -> None:
    primary, fallback, limiter, on_primary, on_fallback = await _held_on_each(clock)
    budget = BUDGET
    await limiter.settle(on_fallback, 0, 0.25)
    await limiter.settle(on_primary, 0, 0.125)  # the breaker is open: dropped, never raised
    assert await fallback.spent(budget) == 0.25
    assert primary.settled == []
    clock.advance(5)
    primary.up = True
    await limiter.settle(on_primary, 0, 0.125)
    assert primary.settled == [0.125]


async def test_settle_now_only_where_the_counts_are_in_this_process(clock: Clock) -> None:
    """The request path settles in-memory reservations at once and schedules the rest (`record_usage`)."""
    primary, fallback, limiter, on_primary, on_fallback = await _held_on_each(clock)
    budget = BUDGET
    assert limiter.settle_now(on_primary, 0, 0.125) is False and primary.settled == []
    assert limiter.settle_now(on_fallback, 0, 0.25) is True
    assert await fallback.spent(budget) == 0.25
    alone = MemoryLimiter(clock=clock)
    held = await alone.acquire([RateRule("key", "k", tpm=100)], [budget], 90, 0.5)
    assert alone.settle_now(held, 10, 0.0625) is True and await alone.spent(budget) == 0.0625
    assert await count_passing(alone, [RateRule("key", "k", tpm=100)], 5, tokens=20) == 4  # 10 of 100 taken


async def test_seed_reaches_the_fallback_too(clock: Clock) -> None:
    primary, fallback = Flaky(clock), MemoryLimiter(clock=clock)
    limiter = FailoverLimiter(primary, fallback, "open", clock=clock)
    budget = BudgetRule("team", "t", 10.0)
    await limiter.seed(budget, 9.0)
    assert await fallback.spent(budget) == 9.0
    assert await limiter.spent(budget) == 9.0
    primary.up = False
    with pytest.raises(LimitExceeded):
        await limiter.acquire([], [budget], 0, 1.5)  # failing open does not restart the budget at zero


def test_an_unknown_mode_is_refused(clock: Clock) -> None:
    with pytest.raises(ValueError, match="'ajar'"):
        FailoverLimiter(Flaky(clock), MemoryLimiter(clock=clock), "ajar")  # type: ignore[arg-type]


@pytest.fixture
async def blackhole() -> AsyncIterator[int]:
    """A port that accepts connections and never answers: the worst kind of dead Redis."""

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)
        writer.close()

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.mark.parametrize("target", ["nothing listens", "never answers"])
async def test_a_dead_redis_costs_bounded_time(target: str, blackhole: int) -> None:
    port = free_port() if target == "nothing listens" else blackhole
    redis_limiter = RedisLimiter(f"redis://127.0.0.1:{port}/0", timeout_s=0.25, deadline_s=0.5)
    closed = FailoverLimiter(redis_limiter, MemoryLimiter(), "closed", retry_interval_s=30)
    started = time.monotonic()
    with pytest.raises(LimiterUnavailable, match=f"127.0.0.1:{port}"):
        await closed.acquire([RULE], [], 0, 0.0)
    assert time.monotonic() - started < 1.5
    started = time.monotonic()
    for _ in range(50):  # the breaker is open: no request waits for Redis now
        with pytest.raises(LimiterUnavailable):
            await closed.acquire([RULE], [], 0, 0.0)
    assert time.monotonic() - started < 0.5
    assert not await redis_limiter.ping()
    started = time.monotonic()
    token_rule = RateRule("key", "k", tpm=100)
    await redis_limiter.settle(Reservation(rates=(token_rule,), tokens=5), 10, 0.0)  # swallowed, bounded
    assert time.monotonic() - started < 1.5
    await closed.close()


async def test_a_real_outage_and_recovery(own_redis: OwnRedis) -> None:
    rule = RateRule("key", "outage", rpm=5)

    def make(mode: FailureMode) -> FailoverLimiter:
        redis_limiter = RedisLimiter(own_redis.url, connect_timeout_s=1.0, timeout_s=1.0, deadline_s=2.0)
        return FailoverLimiter(redis_limiter, MemoryLimiter(), mode, retry_interval_s=0.3)

    fail_open, fail_closed = make("open"), make("closed")
    try:
        for _ in range(2):
            assert (await fail_open.acquire([rule], [], 0, 0.0)).backend == "primary"
            assert (await fail_closed.acquire([rule], [], 0, 0.0)).backend == "primary"
        own_redis.stop()  # mid-test: the server process dies
        started = time.monotonic()
        assert (await fail_open.acquire([rule], [], 0, 0.0)).backend == "fallback"
        with pytest.raises(LimiterUnavailable):
            await fail_closed.acquire([rule], [], 0, 0.0)
        assert time.monotonic() - started < 4.0  # refused connections: fast, whatever the timeouts
        own_redis.start()  # the same port, empty (no persistence)
        await asyncio.sleep(0.35)
        for limiter in (fail_open, fail_closed):
            assert (await limiter.acquire([rule], [], 0, 0.0)).backend == "primary"
            assert await limiter.ping()
    finally:
        await fail_open.close()
        await fail_closed.close()
