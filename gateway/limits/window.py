"""The arithmetic both limiters share: sliding-window counters, UTC budget periods and micro-dollars.

Rates use a sliding-window counter with two fixed buckets (the current minute and the previous one). The count
over the last rolling minute is estimated as `prev * (1 - f) + cur`, where `f` is the elapsed fraction of the
current bucket: this assumes the previous minute's requests were spread evenly, costs two integers per subject
(unlike a log of timestamps) and is exact at N+1 when traffic starts from nothing. The Redis Lua script computes
the same estimate from the same `f` (passed in by the caller), so both limiters give the same answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gateway.limits.base import Period, Reservation

EPSILON = 1e-9
"""Slack for float rounding: a request that fits exactly at `retry_after` must pass."""
NEVER_S = 365 * 86400.0
"""Retry-After for a limit that never frees (a `total` budget): a year, so headers stay finite."""
IN_FLIGHT_RETRY_S = 1.0
"""Retry-After when a budget is only full because of reservations that are about to be settled."""
MICRO = 1_000_000


@dataclass(frozen=True, slots=True)
class WindowPos:
    """Where `now` falls: the bucket index and the elapsed fraction of that bucket."""

    index: int
    fraction: float

    @classmethod
    def at(cls, now: float, window_s: float) -> WindowPos:
        index = math.floor(now / window_s)
        return cls(index, min(max((now - index * window_s) / window_s, 0.0), 1.0))


def estimate(prev: float, cur: float, fraction: float) -> float:
    """Usage over the rolling window, from the previous and current bucket counts."""
    return prev * (1.0 - fraction) + cur


def left(prev: float, cur: float, fraction: float, limit: int) -> int:
    return max(0, math.floor(limit - estimate(prev, cur, fraction) + EPSILON))


def reset_s(prev: float, cur: float, fraction: float, window_s: float) -> float:
    """Seconds until the estimate is back to zero with no more traffic: the previous bucket has decayed by the
    end of this one, the current bucket one window later."""
    if cur > 0:
        return (2.0 - fraction) * window_s
    return (1.0 - fraction) * window_s if prev > 0 else 0.0


def fits(prev: float, cur: float, fraction: float, cost: float, limit: float) -> bool:
    return estimate(prev, cur, fraction) + cost <= limit + EPSILON


def rate_retry_after(prev: float, cur: float, fraction: float, cost: float, limit: float, window_s: float) -> float:
    """Seconds until `cost` more fits under `limit`, if no other traffic comes (a request larger than the limit
    never fits: one window is returned and the caller says why)."""
    if cost > limit:
        return window_s
    room = limit - cur - cost
    if room >= 0 and prev > 0:
        # The previous bucket's share decays linearly: wait until it has shrunk to `room`.
        needed = 1.0 - room / prev
        return max(needed - fraction, 0.0) * window_s
    # The current bucket alone is too full: it becomes the previous one at the next boundary, then decays.
    needed_next = 0.0 if cur <= 0 else max(1.0 - (limit - cost) / cur, 0.0)
    return (1.0 - fraction) * window_s + needed_next * window_s


def period_bounds(period: Period, now: float) -> tuple[str, float | None]:
    """The UTC calendar bucket holding `now` (its name) and its end (epoch seconds; None for `total`)."""
    day = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "total":
        return "total", None
    if period == "day":
        return f"d{day:%Y-%m-%d}", (day + timedelta(days=1)).timestamp()
    if period == "week":
        monday = day - timedelta(days=day.weekday())
        return f"w{monday:%Y-%m-%d}", (monday + timedelta(days=7)).timestamp()
    if period == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return f"m{first:%Y-%m}", following.timestamp()
    raise ValueError(f"unknown budget period {period!r}")


def budget_retry_after(spent: int, reserved: int, cost: int, limit: int, period_end: float | None, now: float) -> float:
    """Seconds until a refused budget could take `cost` micro-dollars more."""
    if spent + cost <= limit and reserved > 0:
        return IN_FLIGHT_RETRY_S
    if period_end is None:
        return NEVER_S
    return max(period_end - now, 0.0)


def to_micro(usd: float, *, round_up: bool = False) -> int:
    """USD as integer micro-dollars (reservations round up so that they never under-reserve)."""
    if usd < 0 or not math.isfinite(usd):
        raise ValueError(f"a cost must be a finite non-negative amount, got {usd!r}")
    scaled = usd * MICRO
    return math.ceil(scaled - EPSILON) if round_up else round(scaled)


def extra_micro(reservation: Reservation, max_cost_usd: float) -> int:
    """Micro-dollars to add to a reservation's hold to raise it to `max_cost_usd`, counted as settle releases
    them (the rounded-up total), so that a raised hold is released to the last micro-dollar."""
    if not reservation.budgets:
        return 0
    return to_micro(max_cost_usd, round_up=True) - to_micro(reservation.cost_usd, round_up=True)


def from_micro(micro: int) -> float:
    return micro / MICRO
