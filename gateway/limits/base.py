"""The limiter contract: request/token rates and spend budgets that every replica agrees on.

Two implementations share it: `memory` (in-process, the embedded default) and `redis` (shared by replicas).
Both take the same rules and give the same answers, so a test table runs against each.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol

Scope = Literal["key", "team", "model", "user"]
Period = Literal["day", "week", "month", "total"]


@dataclass(frozen=True, slots=True)
class RateRule:
    """At most `rpm` requests and `tpm` tokens per rolling minute for one subject."""

    scope: Scope
    subject: str
    rpm: int | None = None
    tpm: int | None = None

    @property
    def name(self) -> str:
        return f"{self.scope}:{self.subject}"


@dataclass(frozen=True, slots=True)
class BudgetRule:
    """At most `limit_usd` spent by one subject over the current period (UTC calendar periods)."""

    scope: Scope
    subject: str
    limit_usd: float
    period: Period = "month"

    @property
    def name(self) -> str:
        return f"{self.scope}:{self.subject}"

    @property
    def id(self) -> str:
        """Unique per budget: one subject may have a daily and a monthly budget."""
        return f"{self.scope}:{self.subject}/{self.period}"


@dataclass(frozen=True, slots=True)
class RateLevel:
    """What one rate rule has left in the rolling minute (None: the rule sets no such limit), and in how many
    seconds its count would be back to zero with no more traffic: the `x-ratelimit-*` headers."""

    rule: RateRule
    requests_left: int | None = None
    tokens_left: int | None = None
    requests_reset_s: float = 0.0
    tokens_reset_s: float = 0.0


@dataclass(slots=True)
class Reservation:
    """What `acquire` took, so that `settle` can reconcile it with what was really used."""

    rates: tuple[RateRule, ...] = ()
    budgets: tuple[BudgetRule, ...] = ()
    tokens: int = 0
    cost_usd: float = 0.0
    period_keys: dict[str, str] = field(default_factory=dict)
    """Budget rule id (`BudgetRule.id`) -> the period bucket the reservation was charged to (a period may roll over)."""
    at: float = 0.0
    backend: str = ""
    """Which limiter charged it, so that a failover wrapper settles with the same one."""
    levels: tuple[RateLevel, ...] = ()
    """Each rate rule's level once this request was charged."""
    charging: Awaitable[None] | None = None
    """The charge still on its way to the shared store, for a request admitted without waiting for it."""


class LimitExceeded(Exception):
    """A rate or a budget is exhausted. `limit` names it (e.g. `rpm key:ab12`), `retry_after` is in seconds."""

    def __init__(self, limit: str, retry_after: float, message: str, level: RateLevel | None = None) -> None:
        super().__init__(message)
        self.limit = limit
        self.retry_after = retry_after
        self.message = message
        self.level = level
        """For a rate: the exhausted rule's level (its other limit unknown)."""


class LimiterUnavailable(Exception):
    """The shared store cannot be reached (the caller decides: fail open or closed)."""


class Limiter(ABC):
    """Rates (RPM, TPM) and budgets (USD per period), checked and charged atomically."""

    @abstractmethod
    async def acquire(
        self,
        rates: Sequence[RateRule],
        budgets: Sequence[BudgetRule],
        tokens: int,
        max_cost_usd: float,
    ) -> Reservation:
        """Check every rule and charge them all, or none: one request, `tokens` estimated tokens and a
        worst-case cost of `max_cost_usd`. Raises `LimitExceeded` naming the exhausted limit that frees last
        (the first of them on a tie), so that its `retry_after` is when the request can really pass."""

    @abstractmethod
    async def extend(self, reservation: Reservation, max_cost_usd: float) -> None:
        """Raise the budget hold of `reservation` to `max_cost_usd` once the request is known better (a stored
        prompt rendered): every budget or none, rates untouched. Raises `LimitExceeded` like `acquire`; then the
        first hold stays, to be released by `settle` as usual."""

    @abstractmethod
    async def settle(self, reservation: Reservation, tokens: int, cost_usd: float) -> None:
        """Replace the reserved tokens and cost with the actual ones (never fails the caller)."""

    def settle_now(self, reservation: Reservation, tokens: int, cost_usd: float) -> bool:
        """`settle` done before returning when it needs no I/O (the counts are in this process): True. False: call
        `settle` (in the background), the store is elsewhere."""
        return False

    @abstractmethod
    async def spent(self, budget: BudgetRule) -> float:
        """USD charged to this budget in its current period."""

    async def seed(self, budget: BudgetRule, spent_usd: float) -> None:
        """Set the spend of a budget's current period when the store has none (e.g. from usage rows)."""

    def count_decisions(self, local: DecisionCounter, store: DecisionCounter) -> None:
        """Count each admission decided in this process on a fresh view of the shared store (`local`) and each
        check made in the store (`store`, refusals included). Limiters that only have one place to decide count
        nothing."""

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None


class DecisionCounter(Protocol):
    """What `Limiter.count_decisions` is given: a metric child (prometheus_client's `Counter.labels(...)`)."""

    def inc(self, amount: float = 1) -> None: ...
