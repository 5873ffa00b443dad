"""One table of behaviours, run against the memory limiter and the Redis limiter alike."""

from __future__ import annotations

import pytest
from limits_support import Clock, LimiterFactory, count_passing

from gateway.limits.base import BudgetRule, Limiter, LimitExceeded, RateRule
from gateway.limits.window import IN_FLIGHT_RETRY_S, NEVER_S


@pytest.mark.parametrize("rpm", [1, 3, 10, 50])
async def test_rpm_refuses_at_n_plus_one(limiter: Limiter, rpm: int) -> None:
    rule = RateRule("key", "abc", rpm=rpm)
    for _ in range(rpm):
        await limiter.acquire([rule], [], 0, 0.0)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([rule], [], 0, 0.0)
    assert refused.value.limit == "rpm key:abc"
    assert "key:abc" in refused.value.message
    # Full bucket at the start of a minute: the next one starts, then 1/rpm of it must pass.
    assert refused.value.retry_after == pytest.approx(60 + 60 / rpm if rpm > 1 else 120)


# (seconds since the previous step, requests tried, how many pass) with rpm 10, from T0 (a minute boundary).
SLIDES = [
    [(0, 20, 10), (59, 5, 0), (1, 5, 0), (30, 20, 5), (30, 20, 5), (60, 20, 5), (120, 20, 10)],
    [(30, 20, 10), (29, 5, 0), (1, 5, 0), (15, 20, 2), (45, 20, 8)],
    [(0, 4, 4), (45, 20, 6), (15, 5, 0), (15, 20, 2), (135, 20, 10)],
    [(0, 6, 6), (60, 20, 4), (30, 20, 3)],  # at +90 the estimate is 6 * 0.5 + 4 = 7: room for 3
    [(0, 20, 10), (120, 20, 10)],  # a gap of a whole minute forgets everything
]


@pytest.mark.parametrize("steps", SLIDES)
async def test_rpm_window_slides(limiter: Limiter, clock: Clock, steps: list[tuple[float, int, int]]) -> None:
    rule = RateRule("team", "t1", rpm=10)
    for delay, tried, expected in steps:
        clock.advance(delay)
        assert await count_passing(limiter, [rule], tried) == expected, f"at +{clock.now - 1_800_000_000:.0f} s"


@pytest.mark.parametrize(
    ("offset", "burst"),
    [(0, 10), (20, 10), (45, 3), (59, 10)],
)
async def test_retry_after_is_when_the_request_passes(
    limiter: Limiter, clock: Clock, offset: float, burst: int
) -> None:
    clock.advance(offset)
    rule = RateRule("model", "gpt", rpm=10)
    await count_passing(limiter, [rule], burst)
    clock.advance(30)
    await count_passing(limiter, [rule], 10)  # fill whatever room the estimate leaves
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([rule], [], 0, 0.0)
    wait = refused.value.retry_after
    assert 0 < wait <= 120
    if wait > 0.5:
        clock.advance(wait - 0.5)
        with pytest.raises(LimitExceeded):
            await limiter.acquire([rule], [], 0, 0.0)
        clock.advance(0.5 + 1e-6)
    else:
        clock.advance(wait + 1e-6)
    await limiter.acquire([rule], [], 0, 0.0)


async def test_tpm_counts_estimates_and_settle_reconciles(limiter: Limiter, clock: Clock) -> None:
    rule = RateRule("key", "k", tpm=1000)
    first = await limiter.acquire([rule], [], 600, 0.0)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([rule], [], 500, 0.0)
    assert refused.value.limit == "tpm key:k"
    await limiter.settle(first, 200, 0.0)  # the prompt was smaller than estimated: 400 tokens come back
    second = await limiter.acquire([rule], [], 500, 0.0)
    await limiter.settle(second, 800, 0.0)  # and this one used more: 300 more are taken
    with pytest.raises(LimitExceeded):
        await limiter.acquire([rule], [], 1, 0.0)
    clock.advance(120)
    await limiter.acquire([rule], [], 1000, 0.0)


async def test_tpm_request_larger_than_the_limit(limiter: Limiter) -> None:
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([RateRule("user", "u1", tpm=100)], [], 101, 0.0)
    assert refused.value.limit == "tpm user:u1"
    assert "needs 101" in refused.value.message


async def test_settle_never_pushes_tokens_below_zero(limiter: Limiter, clock: Clock) -> None:
    rule = RateRule("key", "k", tpm=100)
    reservation = await limiter.acquire([rule], [], 90, 0.0)
    clock.advance(60)  # settled in the next bucket, which has no tokens yet
    await limiter.settle(reservation, 0, 0.0)
    clock.advance(60)
    assert await count_passing(limiter, [rule], 5, tokens=20) == 5


async def test_budget_reserves_then_settles(limiter: Limiter) -> None:
    budget = BudgetRule("key", "k", limit_usd=1.0, period="day")
    first = await limiter.acquire([], [budget], 0, 0.6)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [budget], 0, 0.6)
    assert refused.value.limit == "budget key:k"
    assert refused.value.retry_after == IN_FLIGHT_RETRY_S  # only the hold of the first request is in the way
    await limiter.settle(first, 0, 0.1)
    assert await limiter.spent(budget) == pytest.approx(0.1)
    second = await limiter.acquire([], [budget], 0, 0.6)
    await limiter.settle(second, 0, 0.55)
    assert await limiter.spent(budget) == pytest.approx(0.65)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [budget], 0, 0.36)
    assert refused.value.retry_after == pytest.approx(16 * 3600)  # T0 is 08:00 UTC: the day ends in 16 h
    await limiter.acquire([], [budget], 0, 0.35)


@pytest.mark.parametrize(
    ("period", "retry_after"),
    [("day", 16 * 3600.0), ("week", 2 * 86400 + 16 * 3600.0), ("month", 16 * 86400 + 16 * 3600.0), ("total", NEVER_S)],
)
async def test_budget_retry_after_is_the_period_end(limiter: Limiter, period: str, retry_after: float) -> None:
    budget = BudgetRule("team", "t", limit_usd=0.5, period=period)  # type: ignore[arg-type]
    await limiter.settle(await limiter.acquire([], [budget], 0, 0.5), 0, 0.5)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [budget], 0, 0.01)
    assert refused.value.retry_after == pytest.approx(retry_after)


async def test_budget_periods_roll_over(limiter: Limiter, clock: Clock) -> None:
    daily = BudgetRule("key", "k", limit_usd=1.0, period="day")
    monthly = BudgetRule("key", "k", limit_usd=1.5, period="month")
    reservation = await limiter.acquire([], [daily, monthly], 0, 1.0)
    await limiter.settle(reservation, 0, 0.9)
    assert (await limiter.spent(daily), await limiter.spent(monthly)) == pytest.approx((0.9, 0.9))
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [daily, monthly], 0, 0.2)
    assert refused.value.limit == "budget key:k"
    clock.advance(16 * 3600)  # midnight: a new day, the same month
    assert await limiter.spent(daily) == 0.0
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [daily, monthly], 0, 0.7)
    assert "month budget" in refused.value.message
    await limiter.acquire([], [daily, monthly], 0, 0.6)


async def test_settle_after_the_period_ended_charges_the_old_period(limiter: Limiter, clock: Clock) -> None:
    daily = BudgetRule("key", "late", limit_usd=1.0, period="day")
    clock.advance(16 * 3600 - 1)  # one second before midnight
    reservation = await limiter.acquire([], [daily], 0, 0.8)
    clock.advance(2)
    await limiter.settle(reservation, 0, 0.5)
    assert await limiter.spent(daily) == 0.0
    await limiter.acquire([], [daily], 0, 1.0)  # the new day holds nothing from yesterday


async def test_seed_only_when_absent(limiter: Limiter) -> None:
    budget = BudgetRule("team", "seeded", limit_usd=10.0, period="month")
    await limiter.seed(budget, 9.5)
    await limiter.seed(budget, 1.0)  # already there: ignored
    assert await limiter.spent(budget) == pytest.approx(9.5)
    with pytest.raises(LimitExceeded):
        await limiter.acquire([], [budget], 0, 0.6)
    await limiter.acquire([], [budget], 0, 0.5)


@pytest.mark.parametrize(
    ("rates", "budgets", "cost", "refused_by"),
    [
        ([RateRule("key", "a", rpm=100), RateRule("team", "t", rpm=1)], [], 0.0, "rpm team:t"),
        ([RateRule("key", "a", rpm=100, tpm=10_000), RateRule("user", "u", tpm=50)], [], 0.0, "tpm user:u"),
        ([RateRule("key", "a", rpm=100)], [BudgetRule("key", "a", 0.05)], 0.04, "budget key:a"),
        (
            [RateRule("key", "a", rpm=100)],
            [BudgetRule("team", "t", 100.0), BudgetRule("key", "a", 0.05)],
            0.04,
            "budget key:a",
        ),
    ],
)
async def test_a_refused_request_charges_nothing(
    limiter: Limiter, rates: list[RateRule], budgets: list[BudgetRule], cost: float, refused_by: str
) -> None:
    await limiter.acquire(rates, budgets, 40, cost)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire(rates, budgets, 40, cost)
    assert refused.value.limit == refused_by
    # Only the first request weighs on the key's limits: 99 more requests and 9,960 tokens fit, not 100.
    key_only = [RateRule("key", "a", rpm=100, tpm=10_000)]
    assert await count_passing(limiter, key_only, 100, tokens=0) == 99
    for budget in budgets:
        assert await limiter.spent(budget) == 0.0
    big = BudgetRule("team", "t", 100.0)
    if big in budgets:
        await limiter.acquire([], [big], 0, 100.0 - cost)  # exactly the rest: the refusal held nothing


async def test_the_refusal_that_frees_last_is_named(limiter: Limiter) -> None:
    rate = RateRule("key", "a", rpm=1)
    budget = BudgetRule("key", "a", 0.01, period="day")
    await limiter.settle(await limiter.acquire([rate], [budget], 0, 0.01), 0, 0.01)
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([rate], [budget], 0, 0.01)
    assert refused.value.limit == "budget key:a"  # the rate frees in a minute, the budget at midnight
    assert refused.value.retry_after == pytest.approx(16 * 3600)


async def test_two_instances_share_one_limit(make_limiter: LimiterFactory) -> None:
    first, second = await make_limiter(), await make_limiter()
    rule = RateRule("key", "shared", rpm=7)
    passed = 0
    for attempt in range(14):
        try:
            await (first if attempt % 2 else second).acquire([rule], [], 0, 0.0)
            passed += 1
        except LimitExceeded:
            pass
    assert passed == 7


async def test_extend_raises_a_hold_all_or_nothing_and_settle_releases_it_exactly(limiter: Limiter) -> None:
    budget = BudgetRule("key", "ext", 1.0, "total")
    first = await limiter.acquire([], [budget], 0, 0.3)
    await limiter.extend(first, 0.9000001)  # the hold becomes 0.900001, not 0.3 + 0.9
    with pytest.raises(LimitExceeded) as refused:
        await limiter.acquire([], [budget], 0, 0.1)
    assert refused.value.limit == "budget key:ext"
    second = await limiter.acquire([], [budget], 0, 0.05)
    with pytest.raises(LimitExceeded):
        await limiter.extend(second, 0.1)
    assert second.cost_usd == 0.05
    await limiter.extend(second, 0.099999)
    await limiter.settle(first, 0, 0.25)
    await limiter.settle(second, 0, 0.0)
    # Released to the micro-dollar: exactly 0.75 is left.
    final = await limiter.acquire([], [budget], 0, 0.75)
    with pytest.raises(LimitExceeded):
        await limiter.acquire([], [budget], 0, 0.000001)
    await limiter.settle(final, 0, 0.0)
    assert await limiter.spent(budget) == pytest.approx(0.25)
