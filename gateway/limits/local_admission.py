"""Admitting a rate-limited request on this replica's recent view of the shared counts, when it is far from
every limit, so that it does not wait for Redis.

With limits in Redis, every request waits for the acquire script's answer before its upstream call: on loopback
at one request at a time, that round trip is 0.3-0.4 ms of what the gateway adds. Far from a limit the answer is
known in advance. A request with rate rules and no budget (money is always checked in Redis first) is admitted
here when, for each of its rules:
- Redis answered for the rule less than `MAX_AGE_S` ago, in this minute bucket or the one before (the view);
- the view, plus this replica's charges for the rule still on their way, plus this request, leaves at least
  `HEADROOM` of the limit, and at least `MARGIN` requests' worth (`MARGIN` times this request's tokens for a TPM);
- fewer than `MAX_IN_FLIGHT` of those charges are on their way.
Its charge then goes to Redis behind it: the requests admitted with the same rules within `FLUSH_S` go as one
call of the acquire script, told to charge them without checking, and its answer refreshes the view. Closer to a limit, every request waits for Redis's atomic check-and-charge, as before.

The cost of this: a limit can only be exceeded when the other replicas use `HEADROOM` of it between two answers
to this one (a tenth of a second at most), and then by at most `MAX_IN_FLIGHT` requests per replica and rule.
`limits.local_admission: false` turns it off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.limits.base import RateRule
from gateway.limits.levels import Counts
from gateway.limits.window import WindowPos, estimate

HEADROOM = 0.5
MARGIN = 1024
MAX_IN_FLIGHT = 64
MAX_AGE_S = 0.1
FLUSH_S = 0.005
MAX_VIEWS = 4096
"""Rules with a view at once (end-user rules are unbounded in number); past it, stale views are dropped first."""


@dataclass(slots=True)
class _View:
    index: int
    """The minute bucket Redis's counts are from."""
    counts: Counts
    seen: float
    in_flight: int = 0
    in_flight_tokens: int = 0

    def counts_at(self, index: int) -> Counts | None:
        """The counts in bucket `index`, this replica's charges on their way included in the current one (in
        the previous one they would weigh less: counting them here only errs towards Redis)."""
        pn, cn, pt, ct = self.counts
        if index == self.index + 1:
            pn, cn, pt, ct = cn, 0, ct, 0
        elif index != self.index:
            return None
        return pn, cn + self.in_flight, pt, ct + self.in_flight_tokens


class LocalAdmission:
    def __init__(self) -> None:
        self._views: dict[RateRule, _View] = {}

    def admit(self, rates: Sequence[RateRule], tokens: int, pos: WindowPos, now: float) -> list[Counts] | None:
        """Each rule's counts with this request charged, if it is admitted here; None: ask Redis."""
        views, counts = [], []
        for rule in rates:
            view = self._views.get(rule)
            if view is None or now - view.seen > MAX_AGE_S or view.in_flight >= MAX_IN_FLIGHT:
                return None
            at = view.counts_at(pos.index)
            if at is None:
                return None
            pn, cn, pt, ct = at[0], at[1] + 1, at[2], at[3] + tokens
            if rule.rpm is not None and not _far(estimate(pn, cn, pos.fraction), rule.rpm, 1):
                return None
            if rule.tpm is not None and not _far(estimate(pt, ct, pos.fraction), rule.tpm, max(tokens, 1)):
                return None
            views.append(view)
            counts.append((pn, cn, pt, ct))
        for view in views:
            view.in_flight += 1
            view.in_flight_tokens += tokens
        return counts

    def answered(self, rates: Sequence[RateRule], index: int, counts: Sequence[Counts], now: float) -> None:
        """Redis's counts for `rates` once a request was charged in bucket `index`."""
        for rule, rule_counts in zip(rates, counts, strict=True):
            view = self._views.get(rule)
            if view is None:
                if len(self._views) >= MAX_VIEWS and not self._drop_stale(now):
                    continue
                self._views[rule] = _View(index, rule_counts, now)
            elif index >= view.index:
                view.index, view.counts, view.seen = index, rule_counts, now

    def landed(self, rates: Sequence[RateRule], requests: int, tokens: int) -> None:
        """The charge of `requests` local admissions reached Redis (or failed): they are no longer on their way."""
        for rule in rates:
            view = self._views.get(rule)
            if view is not None:
                view.in_flight = max(view.in_flight - requests, 0)
                view.in_flight_tokens = max(view.in_flight_tokens - tokens, 0)

    def forget(self) -> None:
        """Redis did not take a charge: every request asks it again until it answers."""
        self._views.clear()

    def _drop_stale(self, now: float) -> bool:
        self._views = {rule: view for rule, view in self._views.items()
                       if view.in_flight or now - view.seen <= MAX_AGE_S}
        return len(self._views) < MAX_VIEWS


def _far(used: float, limit: int, unit: int) -> bool:
    """`used` (this request included) leaves `HEADROOM` of `limit` and `MARGIN` units of this request's size."""
    return limit - used >= max(HEADROOM * limit, MARGIN * unit)
