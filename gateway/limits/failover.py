"""What happens when the shared store is down: fail open on a local limiter, or fail closed.

A circuit breaker keeps a dead Redis from adding its timeout to every request: after a failure the primary is
skipped for `retry_interval_s`, then one request probes it (the others keep using the fallback meanwhile).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Literal, TypeVar

from gateway.limits.base import BudgetRule, DecisionCounter, Limiter, LimiterUnavailable, RateRule, Reservation

log = logging.getLogger(__name__)

FailureMode = Literal["open", "closed"]
_T = TypeVar("_T")
_PRIMARY, _FALLBACK = "primary", "fallback"


class _Skipped(Exception):
    """The breaker is open: the primary was not tried."""


class FailoverLimiter(Limiter):
    """`primary` (Redis) while it answers; when it does not, `fallback` (memory) if `mode="open"`, else
    `LimiterUnavailable`. With `open`, each replica enforces the limits alone while Redis is down."""

    def __init__(
        self,
        primary: Limiter,
        fallback: Limiter,
        mode: FailureMode = "open",
        *,
        retry_interval_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in ("open", "closed"):
            raise ValueError(f"failure mode must be 'open' or 'closed', got {mode!r}")
        self.primary = primary
        self.fallback = fallback
        self.mode = mode
        self._retry_interval_s = retry_interval_s
        self._clock = clock
        self._down_since: float | None = None
        self._retry_at = 0.0
        self._probing = False

    @property
    def degraded(self) -> bool:
        """True while the primary is considered down (for health checks and metrics)."""
        return self._down_since is not None

    async def acquire(
        self,
        rates: Sequence[RateRule],
        budgets: Sequence[BudgetRule],
        tokens: int,
        max_cost_usd: float,
    ) -> Reservation:
        try:
            reservation = await self._on_primary(lambda: self.primary.acquire(rates, budgets, tokens, max_cost_usd))
            reservation.backend = _PRIMARY
            return reservation
        except (LimiterUnavailable, _Skipped) as exc:
            self._give_up_if_closed(exc)
        reservation = await self.fallback.acquire(rates, budgets, tokens, max_cost_usd)
        reservation.backend = _FALLBACK
        return reservation

    async def extend(self, reservation: Reservation, max_cost_usd: float) -> None:
        if reservation.backend == _FALLBACK:
            await self.fallback.extend(reservation, max_cost_usd)
            return
        try:
            await self._on_primary(lambda: self.primary.extend(reservation, max_cost_usd))
        except (LimiterUnavailable, _Skipped) as exc:
            # The first hold lives on the primary and cannot move: failing open keeps it as it is.
            self._give_up_if_closed(exc)

    def settle_now(self, reservation: Reservation, tokens: int, cost_usd: float) -> bool:
        return reservation.backend == _FALLBACK and self.fallback.settle_now(reservation, tokens, cost_usd)

    async def settle(self, reservation: Reservation, tokens: int, cost_usd: float) -> None:
        if reservation.backend == _FALLBACK:
            await self.fallback.settle(reservation, tokens, cost_usd)
            return
        if self._is_open():
            # The usage row still records it; the shared budget lacks it until the gateway re-seeds.
            log.warning("settle dropped: the limiter store is down")
            return
        await self.primary.settle(reservation, tokens, cost_usd)

    async def spent(self, budget: BudgetRule) -> float:
        try:
            return await self._on_primary(lambda: self.primary.spent(budget))
        except (LimiterUnavailable, _Skipped) as exc:
            self._give_up_if_closed(exc)
        return await self.fallback.spent(budget)

    async def seed(self, budget: BudgetRule, spent_usd: float) -> None:
        # The fallback is seeded too, so that failing open does not restart a budget from zero.
        await self.fallback.seed(budget, spent_usd)
        try:
            await self._on_primary(lambda: self.primary.seed(budget, spent_usd))
        except (LimiterUnavailable, _Skipped) as exc:
            self._give_up_if_closed(exc)

    def count_decisions(self, local: DecisionCounter, store: DecisionCounter) -> None:
        self.primary.count_decisions(local, store)

    async def ping(self) -> bool:
        return await self.primary.ping()

    async def close(self) -> None:
        await self.primary.close()
        await self.fallback.close()

    async def _on_primary(self, call: Callable[[], Awaitable[_T]]) -> _T:
        probe = self._down_since is not None
        if probe:
            if self._clock() < self._retry_at or self._probing:
                raise _Skipped("the limiter store is down; next probe pending")
            self._probing = True
        try:
            result = await call()
        except LimiterUnavailable as exc:
            self._trip(exc)
            raise
        finally:
            if probe:
                self._probing = False
        if self._down_since is not None:
            log.warning("limiter store is back after %.1f s", self._clock() - self._down_since)
            self._down_since = None
        return result

    def _trip(self, exc: LimiterUnavailable) -> None:
        now = self._clock()
        if self._down_since is None:
            self._down_since = now
            log.error("limiter store unavailable, failing %s: %s", self.mode, exc)
        self._retry_at = now + self._retry_interval_s

    def _is_open(self) -> bool:
        return self._down_since is not None and self._clock() < self._retry_at

    def _give_up_if_closed(self, exc: Exception) -> None:
        if self.mode == "closed":
            if isinstance(exc, LimiterUnavailable):
                raise exc
            raise LimiterUnavailable(f"the rate limiter store is unavailable (failing closed): {exc}") from exc
