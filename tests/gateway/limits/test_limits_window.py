"""The shared arithmetic: bucket positions, retry waits, UTC periods and micro-dollars."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.limits.window import (
    IN_FLIGHT_RETRY_S,
    NEVER_S,
    WindowPos,
    budget_retry_after,
    fits,
    period_bounds,
    rate_retry_after,
    to_micro,
)


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize(
    ("now", "index", "fraction"),
    [(0.0, 0, 0.0), (59.999, 0, 59.999 / 60), (60.0, 1, 0.0), (90.0, 1, 0.5), (1_800_000_015.0, 30_000_000, 0.25)],
)
def test_window_position(now: float, index: int, fraction: float) -> None:
    pos = WindowPos.at(now, 60.0)
    assert pos.index == index
    assert pos.fraction == pytest.approx(fraction)


@pytest.mark.parametrize(
    ("prev", "cur", "fraction", "cost", "limit", "expected"),
    [
        (0, 9, 0.0, 1, 10, True),
        (0, 10, 0.0, 1, 10, False),
        (10, 0, 0.5, 1, 10, True),  # half the previous minute has slid out
        (10, 5, 0.5, 1, 10, False),
        (10, 4, 0.5, 1, 10, True),
        (0, 0, 0.0, 11, 10, False),  # larger than the limit itself
        (3, 0, 1 - 1e-12, 10, 10, True),  # float slack at the boundary
    ],
)
def test_fits(prev: int, cur: int, fraction: float, cost: int, limit: int, expected: bool) -> None:
    assert fits(prev, cur, fraction, cost, limit) is expected


@pytest.mark.parametrize(
    ("prev", "cur", "fraction", "cost", "limit", "expected"),
    [
        (0, 10, 0.0, 1, 10, 66.0),  # wait for the boundary, then for a tenth of the next minute
        (0, 10, 0.5, 1, 10, 36.0),
        (10, 5, 0.5, 1, 10, 6.0),  # the previous minute must shrink from 5 to 4
        (10, 9, 0.0, 1, 10, 60.0),  # the previous minute must vanish entirely
        (0, 1, 0.0, 1, 1, 120.0),  # limit 1: the request must slide fully out of the estimate
        (0, 100, 0.25, 50, 100, 75.0),
        (0, 0, 0.0, 11, 10, 60.0),  # never fits: one window, the message says why
    ],
)
def test_rate_retry_after(prev: int, cur: int, fraction: float, cost: int, limit: int, expected: float) -> None:
    wait = rate_retry_after(prev, cur, fraction, cost, limit, 60.0)
    assert wait == pytest.approx(expected)
    if cost <= limit:
        # Moving the clock by the wait makes the request fit, and a second less does not.
        for delay, expected_fit in ((wait, True), (wait - 1.0, False)):
            later = WindowPos.at(fraction * 60 + delay, 60.0)
            buckets = [(prev, cur), (cur, 0), (0, 0)][min(later.index, 2)]
            assert fits(*buckets, later.fraction, cost, limit) is expected_fit


@pytest.mark.parametrize(
    ("period", "now", "key", "end"),
    [
        ("day", "2026-11-26T09:17:00", "d2026-11-26", "2026-11-27T00:00:00"),
        ("day", "2026-12-31T23:59:59", "d2026-12-31", "2027-01-01T00:00:00"),
        ("week", "2026-11-26T09:17:00", "w2026-11-23", "2026-11-30T00:00:00"),  # Thursday -> Monday
        ("week", "2026-11-29T23:59:59", "w2026-11-23", "2026-11-30T00:00:00"),  # Sunday
        ("week", "2026-11-30T00:00:00", "w2026-11-30", "2026-12-07T00:00:00"),  # Monday
        ("week", "2026-12-30T12:00:00", "w2026-12-28", "2027-01-04T00:00:00"),  # across the year
        ("month", "2026-11-26T09:17:00", "m2026-11", "2026-12-01T00:00:00"),
        ("month", "2026-12-31T23:00:00", "m2026-12", "2027-01-01T00:00:00"),
        ("month", "2028-02-29T10:00:00", "m2028-02", "2028-03-01T00:00:00"),
        ("month", "2027-01-31T10:00:00", "m2027-01", "2027-02-01T00:00:00"),
    ],
)
def test_period_bounds(period: str, now: str, key: str, end: str) -> None:
    assert period_bounds(period, ts(now)) == (key, ts(end))  # type: ignore[arg-type]


def test_total_period_never_ends() -> None:
    assert period_bounds("total", ts("2026-11-26T09:17:00")) == ("total", None)


@pytest.mark.parametrize(
    ("spent", "reserved", "cost", "limit", "end", "expected"),
    [
        (900, 100, 50, 1000, 5000.0, IN_FLIGHT_RETRY_S),  # only holds in flight stand in the way
        (990, 0, 50, 1000, 5000.0, 4000.0),  # spent: wait for the period to end
        (990, 100, 50, 1000, 5000.0, 4000.0),
        (990, 0, 50, 1000, None, NEVER_S),
        (0, 0, 2000, 1000, 5000.0, 4000.0),
    ],
)
def test_budget_retry_after(
    spent: int, reserved: int, cost: int, limit: int, end: float | None, expected: float
) -> None:
    assert budget_retry_after(spent, reserved, cost, limit, end, 1000.0) == expected


@pytest.mark.parametrize(
    ("usd", "round_up", "micro"),
    [
        (0.1, False, 100_000),
        (0.1, True, 100_000),
        (0.0000011, True, 2),
        (0.0000011, False, 1),
        (0.0, True, 0),
        (12.345678, False, 12_345_678),
        (1e-7, True, 1),
        (1e-7, False, 0),
    ],
)
def test_to_micro(usd: float, round_up: bool, micro: int) -> None:
    assert to_micro(usd, round_up=round_up) == micro


@pytest.mark.parametrize("usd", [-0.01, float("nan"), float("inf")])
def test_to_micro_refuses_nonsense(usd: float) -> None:
    with pytest.raises(ValueError, match="finite non-negative"):
        to_micro(usd)
