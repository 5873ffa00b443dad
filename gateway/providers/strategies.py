"""Routing strategies: which healthy deployment of a model a request goes to (LiteLLM's `routing_strategy`).

Every strategy sees only the deployments the router already allows (healthy, not yet tried, matching the request's
tags and the usage policy), so cooldowns, retries, fallbacks and `only=` work the same under each. What they observe
(in-flight requests, latency) is counted in this process: each replica routes by what it sees. Tokens per minute are
too, unless the limits store is Redis: then every replica's tokens are counted there (`minute_tokens.py`).
"""

from __future__ import annotations

import os
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from gateway.providers.base import Deployment

Strategy = Literal["simple-shuffle", "least-busy", "latency-based-routing", "usage-based-routing",
                   "usage-based-routing-v2", "cost-based-routing"]
EXPLORE_SHARE = 0.1
"""Share of latency-based picks made by weight instead of speed, so a deployment that was slow (or failed) and has
recovered gets measured again."""
USAGE_STRATEGIES = frozenset({"usage-based-routing", "usage-based-routing-v2"})
LATENCY_WINDOW = 5
"""Latency samples kept per deployment; its latency is their median, so one outlier (a cold connection, a pause of
this process) never decides, and three slow answers out of five do."""
LATENCY_WARMUP = 2
"""Samples every deployment gets before speed decides: with two, a cold first answer is outvoted at once."""
_RNG = random.Random()
os.register_at_fork(after_in_child=_RNG.seed)  # forked workers must not all draw the same sequence


@dataclass(slots=True)
class Load:
    """What this process observed of one deployment."""

    in_flight: int = 0
    minute: int = -1
    minute_tokens: int = 0
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))

    def observe_latency(self, seconds: float) -> None:
        self.latencies.append(seconds)

    @property
    def latency_s(self) -> float | None:
        """The lower median of the recent samples (of two, the faster), None before the first."""
        if not self.latencies:
            return None
        ordered = sorted(self.latencies)
        return ordered[(len(ordered) - 1) // 2]

    def add_tokens(self, tokens: int, now: float) -> None:
        minute = int(now // 60)
        if minute != self.minute:
            self.minute, self.minute_tokens = minute, 0
        self.minute_tokens += max(tokens, 0)

    def set_tokens(self, tokens: int, now: float) -> None:
        """This minute's tokens as the shared count says (it includes this process's own)."""
        self.minute, self.minute_tokens = int(now // 60), max(tokens, 0)

    def tokens_this_minute(self, now: float) -> int:
        return self.minute_tokens if self.minute == int(now // 60) else 0


def choose(strategy: Strategy, healthy: Sequence[Deployment], loads: dict[str, Load], now: float,
           rng: random.Random | None = None) -> Deployment:
    """One of `healthy` (not empty) by `strategy`; ties are broken by the deployments' weights."""
    if len(healthy) == 1:
        return healthy[0]
    # The module's generator by default: a new `Random()` per call seeds itself from the OS every request.
    rng = rng or _RNG
    narrow = _NARROWERS[strategy]
    candidates = narrow(healthy, loads, now, rng)
    if len(candidates) == 1:
        return candidates[0]
    return rng.choices(candidates, weights=[d.weight for d in candidates])[0]


Narrower = Callable[[Sequence[Deployment], dict[str, Load], float, random.Random], list[Deployment]]


def _all(healthy: Sequence[Deployment], loads: dict[str, Load], now: float, rng: random.Random) -> list[Deployment]:
    return list(healthy)


def _least_busy(healthy: Sequence[Deployment], loads: dict[str, Load], now: float,
                rng: random.Random) -> list[Deployment]:
    return _lowest(healthy, lambda d: loads[d.id].in_flight)


def _latency(healthy: Sequence[Deployment], loads: dict[str, Load], now: float,
             rng: random.Random) -> list[Deployment]:
    unmeasured = [d for d in healthy if len(loads[d.id].latencies) < LATENCY_WARMUP]
    if unmeasured:  # warm-up: every deployment is measured before speed decides
        return unmeasured
    if rng.random() < EXPLORE_SHARE:
        return list(healthy)
    return _lowest(healthy, lambda d: loads[d.id].latency_s or 0.0)


def _usage(healthy: Sequence[Deployment], loads: dict[str, Load], now: float,
           rng: random.Random) -> list[Deployment]:
    def used(d: Deployment) -> float:
        tokens = loads[d.id].tokens_this_minute(now)
        return tokens / d.tpm if d.tpm else float(tokens)

    return _lowest(healthy, used)


def _cost(healthy: Sequence[Deployment], loads: dict[str, Load], now: float,
          rng: random.Random) -> list[Deployment]:
    # A deployment without a known price goes last: cheapest is a claim Warden can only make for known prices.
    return _lowest(healthy, lambda d: (not d.prices.known, d.prices.input_per_token + d.prices.output_per_token))


def _lowest(healthy: Sequence[Deployment], key: Callable[[Deployment], object]) -> list[Deployment]:
    keys = [key(d) for d in healthy]
    best = min(keys)  # type: ignore[type-var]
    return [d for d, k in zip(healthy, keys) if k == best]


_NARROWERS: dict[Strategy, Narrower] = {
    "simple-shuffle": _all,
    "least-busy": _least_busy,
    "latency-based-routing": _latency,
    "usage-based-routing": _usage,
    "usage-based-routing-v2": _usage,
    "cost-based-routing": _cost,
}
