"""Admitting a request on this process's recent view of the shared counts, when it is far from every limit, so
that it does not wait for Redis.

With limits in Redis, every request waits for the acquire script's answer before its upstream call: on loopback
at one request at a time, that round trip and its wake-ups are 0.15-0.2 ms of what the gateway adds, and as much
CPU. Far from a limit the answer is known in advance. A request is admitted here when, for each of its rules:
- Redis answered for the rule less than `max_age_s` ago (the view): a rate in this minute bucket or the one
  before, a budget in this period;
- the view, plus this process's charges for the rule still on their way, plus this request, leaves at least
  `headroom` of the limit, and at least `margin` requests' worth: `margin` times this request's tokens for a
  TPM, times its worst-case cost for a budget;
- fewer than `max_in_flight` of those charges are on their way.
Its charge then goes to Redis behind it: the requests admitted with the same rules within `FLUSH_S` go as one
call of the acquire script, told to charge them without checking, and its answer refreshes the view. Closer to a
limit, every request waits for Redis's atomic check-and-charge, as before.

The cost of this: a limit can only be passed when the other processes use `headroom` of it between two answers to
this one (`max_age_s` at most), and then by at most `max_in_flight` requests per process and rule.
The defaults (`Bounds`): half of each limit, 1,024 requests' worth, 64 in flight, 0.1 s.
`limits.local_admission: false` turns it off; an object sets the four bounds (`Bounds`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.limits.base import BudgetRule, RateRule
from gateway.limits.levels import Counts
from gateway.limits.window import WindowPos, estimate, to_micro

HEADROOM = 0.5
MARGIN = 1024
MAX_IN_FLIGHT = 64
MAX_AGE_S = 0.1
FLUSH_S = 0.005
MAX_VIEWS = 4096
"""Rules with a view at once (end-user rules are unbounded in number); past it, stale views are dropped first."""


@dataclass(frozen=True, slots=True)
class Bounds:
    """How far from a limit a request must be to be admitted here, and how fresh and how busy the view may be."""

    headroom: float = HEADROOM
    margin: int = MARGIN
    max_in_flight: int = MAX_IN_FLIGHT
    max_age_s: float = MAX_AGE_S


@dataclass(slots=True)
class _View:
    index: int
    """The minute bucket Redis's counts are from."""
    counts: Counts
    seen: float
    in_flight: int = 0
    in_flight_tokens: int = 0

    def counts_at(self, index: int) -> Counts | None:
        """The counts in bucket `index`, this process's charges on their way included in the current one (in
        the previous one they would weigh less: counting them here only errs towards Redis)."""
        pn, cn, pt, ct = self.counts
        if index == self.index + 1:
            pn, cn, pt, ct = cn, 0, ct, 0
        elif index != self.index:
            return None
        return pn, cn + self.in_flight, pt, ct + self.in_flight_tokens


@dataclass(slots=True)
class _Spend:
    period: str
    """The budget period Redis's amounts are from."""
    spent: int
    held: int
    seen: float
    in_flight: int = 0
    in_flight_micro: int = 0


Spend = tuple[int, int]
"""A budget's micro-dollars spent and held once a request was charged."""


class LocalAdmission:
    def __init__(self, bounds: Bounds = Bounds()) -> None:
        self._headroom, self._margin = bounds.headroom, bounds.margin
        self._max_in_flight, self._max_age_s = bounds.max_in_flight, bounds.max_age_s
        self._views: dict[RateRule, _View] = {}
        self._spends: dict[BudgetRule, _Spend] = {}
        self._swept = float("-inf")

    def admit(self, rates: Sequence[RateRule], budgets: Sequence[BudgetRule], periods: Sequence[str], tokens: int,
              cost: int, pos: WindowPos, now: float) -> list[Counts] | None:
        """Each rate rule's counts with this request charged, if it is admitted here; None: ask Redis. `cost` is
        the request's hold in micro-dollars, `periods` each budget's current period."""
        spends = []
        for rule, period in zip(budgets, periods, strict=True):
            spend = self._spends.get(rule)
            if spend is None or spend.period != period or now - spend.seen > self._max_age_s \
                    or spend.in_flight >= self._max_in_flight:
                return None
            if not self._far(spend.spent + spend.held + spend.in_flight_micro + cost, to_micro(rule.limit_usd), cost):
                return None
            spends.append(spend)
        views, counts = [], []
        for rule in rates:
            view = self._views.get(rule)
            if view is None or now - view.seen > self._max_age_s or view.in_flight >= self._max_in_flight:
                return None
            at = view.counts_at(pos.index)
            if at is None:
                return None
            pn, cn, pt, ct = at[0], at[1] + 1, at[2], at[3] + tokens
            if rule.rpm is not None and not self._far(estimate(pn, cn, pos.fraction), rule.rpm, 1):
                return None
            if rule.tpm is not None and not self._far(estimate(pt, ct, pos.fraction), rule.tpm, max(tokens, 1)):
                return None
            views.append(view)
            counts.append((pn, cn, pt, ct))
        for view in views:
            view.in_flight += 1
            view.in_flight_tokens += tokens
        for spend in spends:
            spend.in_flight += 1
            spend.in_flight_micro += cost
        return counts

    def answered(self, rates: Sequence[RateRule], index: int, counts: Sequence[Counts], budgets: Sequence[BudgetRule],
                 periods: Sequence[str], spends: Sequence[Spend], now: float) -> None:
        """Redis's amounts once a request was charged: `counts` of `rates` in bucket `index`, `spends` of `budgets`
        in `periods`."""
        for rule, rule_counts in zip(rates, counts, strict=True):
            view = self._views.get(rule)
            if view is None:
                if self._full(now):
                    continue
                self._views[rule] = _View(index, rule_counts, now)
            elif index >= view.index:
                view.index, view.counts, view.seen = index, rule_counts, now
        for budget, period, (spent, held) in zip(budgets, periods, spends, strict=True):
            spend = self._spends.get(budget)
            if spend is None:
                if not self._full(now):
                    self._spends[budget] = _Spend(period, spent, held, now)
            elif period >= spend.period:  # charges of the period before, still on their way, count here too
                spend.period, spend.spent, spend.held, spend.seen = period, spent, held, now

    def landed(self, rates: Sequence[RateRule], budgets: Sequence[BudgetRule], requests: int, tokens: int,
               cost: int) -> None:
        """The charge of `requests` local admissions reached Redis (or failed): they are no longer on their way."""
        for rule in rates:
            view = self._views.get(rule)
            if view is not None:
                view.in_flight = max(view.in_flight - requests, 0)
                view.in_flight_tokens = max(view.in_flight_tokens - tokens, 0)
        for budget in budgets:
            spend = self._spends.get(budget)
            if spend is not None:
                spend.in_flight = max(spend.in_flight - requests, 0)
                spend.in_flight_micro = max(spend.in_flight_micro - cost, 0)

    def forget(self) -> None:
        """Redis did not take a charge: every request asks it again until it answers."""
        self._views.clear()
        self._spends.clear()

    def _full(self, now: float) -> bool:
        """No room for one more view, once the stale ones without charges on their way are dropped (at most once per
        `max_age_s`: before that, none can have gone stale)."""
        if len(self._views) + len(self._spends) < MAX_VIEWS:
            return False
        if now - self._swept < self._max_age_s:
            return True
        self._swept = now
        self._views = {rule: view for rule, view in self._views.items()
                       if view.in_flight or now - view.seen <= self._max_age_s}
        self._spends = {rule: spend for rule, spend in self._spends.items()
                        if spend.in_flight or now - spend.seen <= self._max_age_s}
        return len(self._views) + len(self._spends) >= MAX_VIEWS

    def _far(self, used: float, limit: int, unit: int) -> bool:
        """`used` (this request included) leaves `headroom` of `limit` and `margin` units of this request's size."""
        return limit - used >= max(self._headroom * limit, self._margin * unit)
