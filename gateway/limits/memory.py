"""The in-process limiter: the embedded default, and the fallback when Redis is down.

Everything runs on the event loop thread between two awaits, so check-then-charge is atomic without locks.
Each request costs O(rules): two counters per rate subject, one record per budget.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gateway.limits.base import BudgetRule, Limiter, LimitExceeded, RateRule, Reservation
from gateway.limits.levels import rate_levels
from gateway.limits.refusal import binding, budget_refusal, rate_refusal
from gateway.limits.window import WindowPos, extra_micro, fits, from_micro, period_bounds, to_micro

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Rate:
    """Request and token counts of one subject in the current and previous bucket."""

    index: int
    prev_n: int = 0
    cur_n: int = 0
    prev_t: int = 0
    cur_t: int = 0

    def roll(self, index: int) -> None:
        if index <= self.index:  # same bucket, or a clock that stepped back: never rewind counts
            return
        adjacent = index == self.index + 1
        self.prev_n, self.prev_t = (self.cur_n, self.cur_t) if adjacent else (0, 0)
        self.cur_n = self.cur_t = 0
        self.index = index


@dataclass(slots=True)
class _Budget:
    """Spend and in-flight reservations of one budget in one period (micro-dollars)."""

    period_key: str
    spent: int = 0
    reserved: int = 0


class MemoryLimiter(Limiter):
    """Rates and budgets in this process's memory; one replica's view only."""

    backend = "memory"

    def __init__(self, *, clock: Callable[[], float] = time.time, window_s: float = 60.0) -> None:
        self._clock = clock
        self._window_s = window_s
        # Least recently used first, so idle subjects (e.g. end users) are dropped from the front in O(1).
        self._rates: OrderedDict[tuple[str, str], _Rate] = OrderedDict()
        self._budgets: dict[str, _Budget] = {}

    async def acquire(
        self,
        rates: Sequence[RateRule],
        budgets: Sequence[BudgetRule],
        tokens: int,
        max_cost_usd: float,
    ) -> Reservation:
        now = self._clock()
        pos = WindowPos.at(now, self._window_s)
        tokens = max(tokens, 0)
        cost = to_micro(max_cost_usd, round_up=True)
        self._evict(pos.index)
        counters = [self._rate(rule, pos.index) for rule in rates]
        periods = [period_bounds(rule.period, now) for rule in budgets]
        records = [self._budget(rule, key) for rule, (key, _) in zip(budgets, periods, strict=True)]
        refusals = self._rate_refusals(rates, counters, pos, tokens)
        for rule, record, (_, end) in zip(budgets, records, periods, strict=True):
            limit = to_micro(rule.limit_usd)
            if record.spent + record.reserved + cost > limit:
                refusals.append(budget_refusal(rule, record.spent, record.reserved, cost, limit, end, now))
        if refusals:
            raise binding(refusals)
        for counter in counters:
            counter.cur_n += 1
            counter.cur_t += tokens
        counts = [(c.prev_n, c.cur_n, c.prev_t, c.cur_t) for c in counters]
        for record in records:
            record.reserved += cost
        return Reservation(
            rates=tuple(rates),
            budgets=tuple(budgets),
            tokens=tokens,
            cost_usd=max_cost_usd,
            period_keys={rule.id: record.period_key for rule, record in zip(budgets, records, strict=True)},
            at=now,
            backend=self.backend,
            levels=rate_levels(rates, counts, pos.fraction, self._window_s),
        )

    async def extend(self, reservation: Reservation, max_cost_usd: float) -> None:
        extra = extra_micro(reservation, max_cost_usd)
        if extra <= 0:
            return
        now = self._clock()
        # A budget whose period rolled over since the acquire has no hold left to raise (settle skips it too).
        held = [(rule, self._budgets.get(rule.id)) for rule in reservation.budgets]
        live = [(rule, r) for rule, r in held if r is not None and r.period_key == reservation.period_keys.get(rule.id)]
        refusals = []
        for rule, record in live:
            limit = to_micro(rule.limit_usd)
            if record.spent + record.reserved + extra > limit:
                end = period_bounds(rule.period, now)[1]
                refusals.append(budget_refusal(rule, record.spent, record.reserved, extra, limit, end, now))
        if refusals:
            raise binding(refusals)
        for _, record in live:
            record.reserved += extra
        reservation.cost_usd = max_cost_usd

    async def settle(self, reservation: Reservation, tokens: int, cost_usd: float) -> None:
        self.settle_now(reservation, tokens, cost_usd)

    def settle_now(self, reservation: Reservation, tokens: int, cost_usd: float) -> bool:
        try:
            self._settle(reservation, max(tokens, 0), to_micro(cost_usd))
        except Exception:  # settle must never fail the caller's response
            log.exception("settling a reservation in memory failed")
        return True

    async def spent(self, budget: BudgetRule) -> float:
        key, _ = period_bounds(budget.period, self._clock())
        record = self._budgets.get(budget.id)
        return from_micro(record.spent) if record is not None and record.period_key == key else 0.0

    async def seed(self, budget: BudgetRule, spent_usd: float) -> None:
        key, _ = period_bounds(budget.period, self._clock())
        record = self._budgets.get(budget.id)
        if record is None or record.period_key != key:
            self._budgets[budget.id] = _Budget(key, spent=to_micro(spent_usd))

    def _rate_refusals(
        self, rates: Sequence[RateRule], counters: list[_Rate], pos: WindowPos, tokens: int
    ) -> list[LimitExceeded]:
        refusals: list[LimitExceeded] = []
        for rule, c in zip(rates, counters, strict=True):
            if rule.rpm is not None and not fits(c.prev_n, c.cur_n, pos.fraction, 1, rule.rpm):
                refusals.append(rate_refusal(rule, "rpm", rule.rpm, c.prev_n, c.cur_n, pos.fraction, 1, self._window_s))
            if rule.tpm is not None and not fits(c.prev_t, c.cur_t, pos.fraction, tokens, rule.tpm):
                refusals.append(
                    rate_refusal(rule, "tpm", rule.tpm, c.prev_t, c.cur_t, pos.fraction, tokens, self._window_s)
                )
        return refusals

    def _settle(self, reservation: Reservation, tokens: int, cost: int) -> None:
        delta = tokens - reservation.tokens
        if delta:
            index = WindowPos.at(self._clock(), self._window_s).index
            for rule in reservation.rates:
                if rule.tpm is not None:
                    counter = self._rate(rule, index)
                    counter.cur_t = max(counter.cur_t + delta, 0)
        reserved = to_micro(reservation.cost_usd, round_up=True)
        for rule in reservation.budgets:
            record = self._budgets.get(rule.id)
            # A reservation from a period that has ended has nothing left to reconcile.
            if record is not None and record.period_key == reservation.period_keys.get(rule.id):
                record.reserved = max(record.reserved - reserved, 0)
                record.spent += cost

    def _rate(self, rule: RateRule, index: int) -> _Rate:
        key = (rule.scope, rule.subject)
        counter = self._rates.get(key)
        if counter is None:
            counter = self._rates[key] = _Rate(index)
        else:
            self._rates.move_to_end(key)
            counter.roll(index)
        return counter

    def _budget(self, rule: BudgetRule, period_key: str) -> _Budget:
        record = self._budgets.get(rule.id)
        if record is None or record.period_key != period_key:
            record = self._budgets[rule.id] = _Budget(period_key)
        return record

    def _evict(self, index: int) -> None:
        """Drop subjects untouched for two buckets: their counts no longer weigh on any estimate."""
        while self._rates:
            key, counter = next(iter(self._rates.items()))
            if counter.index >= index - 1:
                return
            del self._rates[key]
