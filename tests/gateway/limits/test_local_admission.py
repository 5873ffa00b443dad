"""Local admission: far from every rate limit a Redis-limited request is charged behind its back, not waited for;
near a limit, and for budgets, every request still waits for Redis's atomic check."""

from __future__ import annotations

import asyncio
import math

import pytest
import redis
from limits_support import REDIS_URL, Clock, OwnRedis, patient_limiter
from pydantic import ValidationError

from gateway.limits.base import BudgetRule, LimiterUnavailable, LimitExceeded, RateRule
from gateway.limits.factory import LimitsConfig, build_limiter
from gateway.limits.local_admission import MARGIN, MAX_AGE_S, MAX_IN_FLIGHT, MAX_VIEWS, Bounds, LocalAdmission
from gateway.limits.redis_limiter import RedisLimiter
from gateway.limits.window import WindowPos, period_bounds


def _bucket(shared_redis: redis.Redis, prefix: str, rule: RateRule, clock: Clock) -> dict[bytes, bytes]:
    index = WindowPos.at(clock(), 60.0).index
    return shared_redis.hgetall(f"{prefix}r:{rule.scope}:{rule.subject}:{index}")  # type: ignore[return-value]


async def test_far_from_the_limit_the_charge_lands_behind_the_request(prefix: str, clock: Clock,
                                                                       shared_redis: redis.Redis) -> None:
    limiter = patient_limiter(REDIS_URL, clock, prefix)
    rule = RateRule("key", "roomy", rpm=100_000, tpm=10_000_000)
    try:
        first = await limiter.acquire([rule], [], 40, 0.0)
        assert first.charging is None  # no view yet: Redis answered before the request went on
        later = [await limiter.acquire([rule], [], 40, 0.0) for _ in range(5)]
        assert all(reservation.charging is not None for reservation in later)
        assert later[-1].levels[0].requests_left == 100_000 - 6
        # Settling at once corrects the tokens after their charge is in, never before.
        await asyncio.gather(*(limiter.settle(reservation, 10, 0.0) for reservation in [*later, first]))
        assert _bucket(shared_redis, prefix, rule, clock) == {b"n": b"6", b"t": b"60"}
    finally:
        await limiter.close()


async def test_a_stale_view_waits_for_redis(prefix: str, clock: Clock) -> None:
    limiter = patient_limiter(REDIS_URL, clock, prefix)
    rule = RateRule("key", "stale", rpm=100_000)
    try:
        await limiter.acquire([rule], [], 0, 0.0)
        clock.advance(MAX_AGE_S * 1.5)
        assert (await limiter.acquire([rule], [], 0, 0.0)).charging is None
        assert (await limiter.acquire([rule], [], 0, 0.0)).charging is not None
    finally:
        await limiter.close()


async def test_a_budget_far_from_its_limit_holds_behind_the_request(prefix: str, clock: Clock,
                                                                    shared_redis: redis.Redis) -> None:
    limiter = patient_limiter(REDIS_URL, clock, prefix)
    budget = BudgetRule("team", "roomy", limit_usd=100.0, period="day")
    held = f"{prefix}h:{budget.id}:{period_bounds('day', clock())[0]}:{math.floor(clock() / 900.0)}"
    try:
        first = await limiter.acquire([], [budget], 0, 0.02)
        assert first.charging is None
        later = [await limiter.acquire([], [budget], 0, 0.02) for _ in range(4)]
        assert all(reservation.charging is not None for reservation in later)
        await asyncio.gather(*(reservation.charging for reservation in later))  # type: ignore[misc]
        assert shared_redis.get(held) == b"100000"  # five holds of 0.02 USD, in micro-dollars
        # The holds land, then settle replaces each with what the request cost.
        await asyncio.gather(*(limiter.settle(reservation, 0, 0.005) for reservation in [*later, first]))
        assert await limiter.spent(budget) == pytest.approx(0.025)
        # 1,024 times this request's worst case no longer fits in the half left: Redis checks it.
        assert (await limiter.acquire([], [budget], 0, 0.1)).charging is None
    finally:
        await limiter.close()


async def test_turned_off_every_request_waits(prefix: str, clock: Clock) -> None:
    limiter = RedisLimiter(REDIS_URL, prefix=prefix, clock=clock, timeout_s=2.0, deadline_s=4.0, local_admission=False)
    rule = RateRule("key", "strict", rpm=100_000)
    try:
        for _ in range(3):
            assert (await limiter.acquire([rule], [], 0, 0.0)).charging is None
    finally:
        await limiter.close()


@pytest.mark.parametrize("rpm", [3_000, 2_100])
async def test_two_replicas_stop_exactly_at_the_limit(prefix: str, clock: Clock, shared_redis: redis.Redis,
                                                      rpm: int) -> None:
    """Far from the limit most requests are admitted locally; the last half of it is checked in Redis, so two
    replicas together admit exactly the limit."""
    replicas = [patient_limiter(REDIS_URL, clock, prefix) for _ in range(2)]
    rule = RateRule("key", "race", rpm=rpm)
    local = 0

    async def one(index: int) -> bool:
        nonlocal local
        try:
            reservation = await replicas[index % 2].acquire([rule], [], 1, 0.0)
        except LimitExceeded:
            return False
        local += reservation.charging is not None
        return True

    try:
        admitted = 0
        for _ in range(8):  # waves of 600 concurrent requests, the views refreshed between them
            admitted += sum(await asyncio.gather(*(one(i) for i in range(600))))
    finally:
        for limiter in replicas:
            await limiter.close()
    assert admitted == rpm
    assert int(_bucket(shared_redis, prefix, rule, clock)[b"n"]) == rpm
    assert local > 0


async def test_two_replicas_spend_a_budget_exactly(prefix: str, clock: Clock) -> None:
    """The first half of the budget is held behind the requests, the second checked in Redis: exactly the budget
    is spent, never more."""
    replicas = [patient_limiter(REDIS_URL, clock, prefix) for _ in range(2)]
    budget = BudgetRule("team", "race", limit_usd=30.0, period="month")
    local = 0

    async def one(index: int) -> bool:
        nonlocal local
        limiter = replicas[index % 2]
        try:
            reservation = await limiter.acquire([], [budget], 0, 0.01)
        except LimitExceeded:
            return False
        local += reservation.charging is not None
        await limiter.settle(reservation, 0, 0.01)
        return True

    try:
        admitted = 0
        for _ in range(7):
            admitted += sum(await asyncio.gather(*(one(i) for i in range(600))))
        spent = await replicas[0].spent(budget)
    finally:
        for limiter in replicas:
            await limiter.close()
    assert admitted == 3000
    assert spent == pytest.approx(30.0)
    assert local > 0


def test_the_view_admits_only_with_headroom_margin_and_few_charges_in_flight() -> None:
    admission, pos = LocalAdmission(), WindowPos(10, 0.5)
    rule = RateRule("key", "k", rpm=4 * MARGIN)
    assert admission.admit([rule], [], [], 0, 0, pos, 0.0) is None  # never answered
    admission.answered([rule], 10, [(0, 2 * MARGIN - 1, 0, 0)], [], [], [], 0.0)
    assert admission.admit([rule], [], [], 0, 0, pos, 0.0) == [(0, 2 * MARGIN, 0, 0)]  # exactly half left after it
    assert admission.admit([rule], [], [], 0, 0, pos, 0.0) is None  # the one in flight counts
    admission.landed([rule], [], 1, 0, 0)
    # The previous bucket weighs by what is left of this one: at the half, 2 * MARGIN there count as MARGIN.
    admission.answered([rule], 11, [(2 * MARGIN, 0, 0, 0)], [], [], [], 0.0)
    assert admission.admit([rule], [], [], 0, 0, WindowPos(11, 0.5), 0.0) is not None
    admission.landed([rule], [], 1, 0, 0)
    assert admission.admit([rule], [], [], 0, 0, WindowPos(13, 0.5), 0.0) is None  # two buckets on: nothing known
    big = RateRule("key", "big", rpm=10**9)
    admission.answered([big], 11, [(0, 0, 0, 0)], [], [], [], 0.0)
    for _ in range(MAX_IN_FLIGHT):
        assert admission.admit([big], [], [], 0, 0, WindowPos(11, 0.5), 0.0) is not None
    assert admission.admit([big], [], [], 0, 0, WindowPos(11, 0.5), 0.0) is None
    tokens = RateRule("key", "t", tpm=10**6)
    admission.answered([tokens], 11, [(0, 0, 0, 0)], [], [], [], 0.0)
    assert admission.admit([tokens], [], [], 10**6 // (2 * MARGIN), 0, WindowPos(11, 0.5), 0.0) is not None
    assert admission.admit([tokens], [], [], 10**6 // MARGIN + 1, 0, WindowPos(11, 0.5), 0.0) is None  # too big a request
    budget = BudgetRule("team", "b", limit_usd=10.0, period="day")
    admission.answered([], 11, [], [budget], ["d2027-01-15"], [(4_000_000, 1_000_000 - 4_000)], 0.0)
    assert admission.admit([], [budget], ["d2027-01-15"], 0, 4_000, WindowPos(11, 0.5), 0.0) == []  # half left
    assert admission.admit([], [budget], ["d2027-01-15"], 0, 1, WindowPos(11, 0.5), 0.0) is None  # the hold on its way
    assert admission.admit([], [budget], ["d2027-01-16"], 0, 0, WindowPos(11, 0.5), 0.0) is None  # a new period


def test_configured_bounds_replace_the_defaults() -> None:
    strict, pos = LocalAdmission(Bounds(headroom=0.9, margin=10, max_in_flight=2, max_age_s=1.0)), WindowPos(10, 0.5)
    default = LocalAdmission()
    rule = RateRule("key", "k", rpm=100_000)
    for admission in (strict, default):
        admission.answered([rule], 10, [(0, 20_000, 0, 0)], [], [], [], 0.0)
    # 80% of the limit left: enough for half, not for 90%.
    assert default.admit([rule], [], [], 0, 0, pos, 0.0) is not None
    assert strict.admit([rule], [], [], 0, 0, pos, 0.0) is None
    big = RateRule("key", "big", rpm=10**9)
    strict.answered([big], 10, [(0, 0, 0, 0)], [], [], [], 0.0)
    assert strict.admit([big], [], [], 0, 0, pos, 0.5) is not None  # 0.5 s old: within its 1 s, past the default 0.1
    assert strict.admit([big], [], [], 0, 0, pos, 0.5) is not None
    assert strict.admit([big], [], [], 0, 0, pos, 0.5) is None  # two on their way
    tokens = RateRule("key", "t", tpm=10_000)
    strict.answered([tokens], 10, [(0, 0, 0, 0)], [], [], [], 0.0)
    assert strict.admit([tokens], [], [], 1_000, 0, pos, 0.0) is None  # ten such requests no longer fit
    assert strict.admit([tokens], [], [], 90, 0, pos, 0.0) is not None


def test_the_config_builds_the_bounds() -> None:
    config = LimitsConfig(backend="redis", local_admission={"headroom": 0.8, "max_in_flight": 8})
    limiter = build_limiter(config)
    local = limiter.primary._local  # type: ignore[attr-defined]
    assert (local._headroom, local._margin, local._max_in_flight, local._max_age_s) == (0.8, MARGIN, 8, MAX_AGE_S)
    assert build_limiter(LimitsConfig(backend="redis", local_admission=False)).primary._local is None  # type: ignore[attr-defined]
    for wrong in ({"headroom": 1.5}, {"max_in_flight": 0}, {"margin": 10, "typo": 1}):
        with pytest.raises(ValidationError):
            LimitsConfig(backend="redis", local_admission=wrong)


async def test_a_lost_charge_sends_the_next_request_to_redis(own_redis: OwnRedis, clock: Clock) -> None:
    limiter = RedisLimiter(own_redis.url, clock=clock, timeout_s=0.5, deadline_s=1.0)
    rule = RateRule("key", "outage", rpm=100_000)
    try:
        await limiter.acquire([rule], [], 0, 0.0)
        own_redis.stop()
        admitted = await limiter.acquire([rule], [], 0, 0.0)
        assert admitted.charging is not None
        await admitted.charging
        with pytest.raises(LimiterUnavailable):
            await limiter.acquire([rule], [], 0, 0.0)
    finally:
        await limiter.close()


async def test_requests_admitted_together_are_charged_in_one_call(own_redis: OwnRedis, clock: Clock) -> None:
    limiter = patient_limiter(own_redis.url, clock)
    rates = [RateRule("key", "k", rpm=100_000), RateRule("user", "t/u", tpm=10**9)]
    admin = redis.Redis(port=own_redis.port)
    try:
        await limiter.acquire(rates, [], 7, 0.0)
        admin.config_resetstat()
        batch = [await limiter.acquire(rates, [], 7, 0.0) for _ in range(20)]
        await asyncio.gather(*(reservation.charging for reservation in batch))  # type: ignore[misc]
        assert admin.info("commandstats")["cmdstat_evalsha"]["calls"] == 1
        index = WindowPos.at(clock(), 60.0).index
        assert admin.hgetall(f"warden:r:key:k:{index}") == {b"n": b"21", b"t": b"147"}
        assert admin.hgetall(f"warden:r:user:t/u:{index}") == {b"n": b"21", b"t": b"147"}
    finally:
        admin.close()
        await limiter.close()


def test_views_are_bounded_and_stale_ones_make_room() -> None:
    admission, pos = LocalAdmission(), WindowPos(10, 0.5)
    rules = [RateRule("user", f"t/u{i}", rpm=10**6) for i in range(MAX_VIEWS + 1)]
    for rule in rules:
        admission.answered([rule], 10, [(0, 0, 0, 0)], [], [], [], 0.0)
    assert admission.admit([rules[0]], [], [], 0, 0, pos, 0.0) is not None
    assert admission.admit([rules[-1]], [], [], 0, 0, pos, 0.0) is None  # no room was left for it
    admission.answered([rules[-1]], 10, [(0, 0, 0, 0)], [], [], [], 2 * MAX_AGE_S)  # the others are stale now
    assert admission.admit([rules[-1]], [], [], 0, 0, pos, 2 * MAX_AGE_S) is not None
    assert admission.admit([rules[1]], [], [], 0, 0, pos, 2 * MAX_AGE_S) is None
