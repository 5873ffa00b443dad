"""What only the memory limiter has: bounded state for many idle subjects."""

from __future__ import annotations

import pytest
from limits_support import Clock, count_passing

from gateway.limits.base import RateRule
from gateway.limits.memory import MemoryLimiter


@pytest.mark.parametrize(
    ("idle_s", "kept"),
    [(30, 501), (60, 501), (119, 501), (120, 1), (600, 1)],  # a subject weighs on the estimate for two buckets
)
async def test_idle_subjects_are_forgotten(clock: Clock, idle_s: float, kept: int) -> None:
    limiter = MemoryLimiter(clock=clock)
    for user in range(500):
        await limiter.acquire([RateRule("user", f"u{user}", rpm=1)], [], 0, 0.0)
    clock.advance(idle_s)
    await limiter.acquire([RateRule("user", "fresh", rpm=1)], [], 0, 0.0)
    assert len(limiter._rates) == kept


async def test_a_kept_subject_still_counts(clock: Clock) -> None:
    limiter = MemoryLimiter(clock=clock)
    rule = RateRule("user", "busy", rpm=10)
    assert await count_passing(limiter, [rule], 10) == 10
    clock.advance(90)
    await limiter.acquire([RateRule("user", "other", rpm=1)], [], 0, 0.0)
    assert await count_passing(limiter, [rule], 10) == 5  # half of the previous minute still weighs


async def test_a_clock_stepping_back_never_rewinds_counts(clock: Clock) -> None:
    limiter = MemoryLimiter(clock=clock)
    rule = RateRule("key", "k", rpm=5)
    clock.advance(70)
    assert await count_passing(limiter, [rule], 10) == 5
    clock.advance(-30)
    assert await count_passing(limiter, [rule], 10) == 0
