"""The Redis limiter: one state for every replica, one round trip (EVALSHA) per acquire and per settle (none when
there is nothing to settle), on one pipelined connection (gateway/limits/redis_client.py). Far from every limit,
a request does not wait for its acquire (gateway/limits/local_admission.py).

Keys (all under the configurable prefix, all with TTLs):
  `r:{scope}:{subject}:{bucket}`       hash n/t: requests and tokens of one minute bucket, kept two minutes;
  `b:{budget id}:{period}`             micro-dollars spent in a UTC period, kept until a while after it ends;
  `h:{budget id}:{period}:{slot}`      micro-dollars held by requests in flight, in slots of `hold_s`.
Holds are counted for the slot they were put in and the next one, then ignored: a replica that dies between
acquire and settle frees its holds after at most `2 * hold_s`, instead of shrinking the budget until period end.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from redis.exceptions import NoScriptError, RedisError

from gateway.limits.base import (
    BudgetRule,
    DecisionCounter,
    Limiter,
    LimiterUnavailable,
    LimitExceeded,
    RateRule,
    Reservation,
)
from gateway.limits.levels import Counts, rate_levels
from gateway.limits.local_admission import FLUSH_S, Bounds, LocalAdmission, Spend
from gateway.limits.redis_client import LimiterRedis
from gateway.limits.refusal import binding, budget_refusal, rate_refusal
from gateway.limits.scripts import ACQUIRE, SETTLE, Script
from gateway.limits.window import WindowPos, extra_micro, from_micro, period_bounds, to_micro

log = logging.getLogger(__name__)

_RPM, _TPM, _BUDGET = 1, 2, 3
CHARGED = 0
"""The first value of the acquire script's answer when it charged (a refusal starts with its kind)."""
_T = TypeVar("_T")


class RedisLimiter(Limiter):
    """Rates and budgets shared by all replicas through one Redis (standalone or primary; not Cluster)."""

    backend = "redis"

    def __init__(
        self,
        url: str = "redis://127.0.0.1:6379/0",
        *,
        prefix: str = "warden:",
        clock: Callable[[], float] = time.time,
        window_s: float = 60.0,
        connect_timeout_s: float = 0.25,
        timeout_s: float = 0.25,
        deadline_s: float = 0.5,
        max_connections: int = 16,
        hold_s: float = 900.0,
        grace_s: float = 2 * 86400.0,
        total_ttl_s: float = 400 * 86400.0,
        local_admission: bool | Bounds = True,
    ) -> None:
        # The clock is the caller's, not Redis TIME, so tests can move it; replicas need NTP-synced clocks
        # (a skew of a few ms moves a minute-window estimate by a few ms of traffic).
        self._clock = clock
        self._window_s = window_s
        self._prefix = prefix
        self._deadline_s = deadline_s
        self._hold_s = hold_s
        self._grace_s = grace_s
        self._total_ttl_s = total_ttl_s
        self._where = _redacted(url)
        self._client = LimiterRedis(url, connect_timeout_s=connect_timeout_s, timeout_s=timeout_s,
                                    deadline_s=deadline_s, max_connections=max_connections)
        bounds = local_admission if isinstance(local_admission, Bounds) else Bounds() if local_admission else None
        self._local = LocalAdmission(bounds) if bounds is not None else None
        self._batches: dict[_BatchKey, _Batch] = {}
        self._flush_at: asyncio.TimerHandle | None = None
        self._charging: set[asyncio.Task[None]] = set()
        self._decided: tuple[DecisionCounter, DecisionCounter] | None = None

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
        periods = [period_bounds(rule.period, now) for rule in budgets]
        names = tuple(period for period, _ in periods)
        if self._local is not None and (rates or budgets):
            counts = self._local.admit(rates, budgets, names, tokens, cost, pos, now)
            if counts is not None:
                rules, holds = tuple(rates), tuple(budgets)
                batch = self._batch(rules, holds, names, pos.index, now)
                batch.requests += 1
                batch.tokens += tokens
                batch.cost += cost
                return Reservation(rates=rules, budgets=holds, tokens=tokens, cost_usd=max_cost_usd,
                                   period_keys={rule.id: period for rule, period in zip(budgets, names, strict=True)},
                                   at=now, backend=self.backend, charging=batch.landed,
                                   levels=rate_levels(rates, counts, pos.fraction, self._window_s))
        keys, args = self._acquire_call(rates, budgets, names, pos, tokens, cost, now)
        answer = await self._run(ACQUIRE, keys, args)
        if self._decided is not None:
            self._decided[1].inc()
        if answer[:1] != [CHARGED]:
            raise self._refusal(answer, rates, budgets, periods, pos, tokens, cost, now)
        counts = _counts(answer, len(rates))
        if self._local is not None:
            self._local.answered(rates, pos.index, counts, budgets, names, _spends(answer, len(rates)), self._clock())
        return Reservation(
            rates=tuple(rates),
            budgets=tuple(budgets),
            tokens=tokens,
            cost_usd=max_cost_usd,
            period_keys={rule.id: period for rule, period in zip(budgets, names, strict=True)},
            at=now,
            backend=self.backend,
            levels=rate_levels(rates, counts, pos.fraction, self._window_s),
        )

    def _acquire_call(
        self,
        rates: Sequence[RateRule],
        budgets: Sequence[BudgetRule],
        periods: Sequence[str],
        pos: WindowPos,
        tokens: int,
        cost: int,
        now: float,
        admitted: int = 0,
    ) -> tuple[list[str], list[float | int]]:
        """The acquire script's keys and arguments; `admitted` > 0 charges that many requests admitted here."""
        slot = math.floor(now / self._hold_s)
        keys: list[str] = []
        args: list[float | int] = [pos.fraction, tokens, cost, len(rates), len(budgets)]
        args += [self._rate_ttl(), math.ceil(2 * self._hold_s + 60), admitted]
        for rule in rates:
            keys += [self._rate_key(rule, pos.index - 1), self._rate_key(rule, pos.index)]
            args += [-1 if rule.rpm is None else rule.rpm, -1 if rule.tpm is None else rule.tpm]
        for rule, period in zip(budgets, periods, strict=True):
            keys += [self._spent_key(rule, period), self._held_key(rule, period, slot - 1)]
            keys.append(self._held_key(rule, period, slot))
            args.append(to_micro(rule.limit_usd))
        return keys, args

    def _batch(self, rates: tuple[RateRule, ...], budgets: tuple[BudgetRule, ...], periods: tuple[str, ...],
               index: int, now: float) -> _Batch:
        """Where a locally admitted request's charge waits (gateway/limits/local_admission.py): the requests admitted
        with the same rules, in the same bucket, periods and hold slot within `FLUSH_S` go as one script call."""
        key = (rates, budgets, periods, index, math.floor(now / self._hold_s))
        batch = self._batches.get(key)
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._batches[key] = _Batch(loop.create_future(), now)
            if self._flush_at is None:
                self._flush_at = loop.call_later(FLUSH_S, self._flush)
        return batch

    def count_decisions(self, local: DecisionCounter, store: DecisionCounter) -> None:
        self._decided = (local, store)

    def _flush(self) -> None:
        self._flush_at = None
        batches, self._batches = self._batches, {}
        if self._decided is not None and batches:  # counted per flush, not per request: off the request's path
            self._decided[0].inc(sum(batch.requests for batch in batches.values()))
        for (rates, budgets, periods, index, _), batch in batches.items():
            task = asyncio.create_task(self._land(rates, budgets, periods, index, batch))
            self._charging.add(task)
            task.add_done_callback(self._charging.discard)

    async def _land(self, rates: tuple[RateRule, ...], budgets: tuple[BudgetRule, ...], periods: tuple[str, ...],
                    index: int, batch: _Batch) -> None:
        assert self._local is not None
        # The hold goes to the slot of the batch's first request, where settle releases it (`Reservation.at`).
        keys, args = self._acquire_call(rates, budgets, periods, WindowPos(index, 0.0), batch.tokens, batch.cost,
                                        batch.at, batch.requests)
        try:
            answer = await self._run(ACQUIRE, keys, args)
        except LimiterUnavailable as exc:  # the requests have gone: the next ones ask Redis and meet the outage
            self._local.forget()
            log.warning("the charge of %d locally admitted requests did not reach Redis: %s", batch.requests, exc)
            return
        finally:
            self._local.landed(rates, budgets, batch.requests, batch.tokens, batch.cost)
            batch.landed.set_result(None)
        self._local.answered(rates, index, _counts(answer, len(rates)), budgets, periods,
                             _spends(answer, len(rates)), self._clock())

    async def extend(self, reservation: Reservation, max_cost_usd: float) -> None:
        extra = extra_micro(reservation, max_cost_usd)
        if extra <= 0:
            return
        # The same keys as the acquire's (its periods and hold slot), so that settle releases the raised hold.
        periods = [period_bounds(rule.period, reservation.at) for rule in reservation.budgets]
        names = [reservation.period_keys.get(rule.id) or period for rule, (period, _) in
                 zip(reservation.budgets, periods, strict=True)]
        keys, args = self._acquire_call((), reservation.budgets, names, WindowPos(0, 0.0), 0, extra, reservation.at)
        refused = await self._run(ACQUIRE, keys, args)
        if refused[:1] != [CHARGED]:
            pos = WindowPos.at(reservation.at, self._window_s)
            raise self._refusal(refused, (), reservation.budgets, periods, pos, 0, extra, self._clock())
        reservation.cost_usd = max_cost_usd

    async def settle(self, reservation: Reservation, tokens: int, cost_usd: float) -> None:
        if reservation.charging is not None:
            await reservation.charging  # a token correction must not reach Redis before the charge it corrects
        try:
            await self._settle(reservation, max(tokens, 0), to_micro(cost_usd))
        except LimiterUnavailable as exc:
            log.warning("settle lost, limiter store unavailable: %s", exc)
        except Exception:  # settle must never fail the caller's response
            log.exception("settling a reservation in Redis failed")

    async def spent(self, budget: BudgetRule) -> float:
        period, _ = period_bounds(budget.period, self._clock())
        value = await self._guard(self._client.command("GET", self._spent_key(budget, period)))
        return from_micro(int(value)) if value is not None else 0.0  # type: ignore[arg-type]

    async def seed(self, budget: BudgetRule, spent_usd: float) -> None:
        now = self._clock()
        period, end = period_bounds(budget.period, now)
        key = self._spent_key(budget, period)
        await self._guard(self._client.command("SET", key, to_micro(spent_usd), "NX", "EX", self._spent_ttl(end, now)))

    async def ping(self) -> bool:
        try:
            return bool(await self._guard(self._client.command("PING")))
        except LimiterUnavailable:
            return False

    async def close(self) -> None:
        if self._flush_at is not None:
            self._flush_at.cancel()
            self._flush()
        if self._charging:
            await asyncio.wait(self._charging, timeout=self._deadline_s)
        await self._client.close()

    async def _settle(self, reservation: Reservation, tokens: int, cost: int) -> None:
        now = self._clock()
        index = WindowPos.at(now, self._window_s).index
        delta = tokens - reservation.tokens
        token_rules = [rule for rule in reservation.rates if rule.tpm is not None] if delta else []
        keys = [self._rate_key(rule, index) for rule in token_rules]
        reserved = to_micro(reservation.cost_usd, round_up=True)
        args: list[float | int] = [delta, len(token_rules), len(reservation.budgets), self._rate_ttl(), reserved, cost]
        slot = math.floor(reservation.at / self._hold_s)
        for rule in reservation.budgets:
            period = reservation.period_keys.get(rule.id) or period_bounds(rule.period, reservation.at)[0]
            keys += [self._spent_key(rule, period), self._held_key(rule, period, slot)]
            args.append(self._spent_ttl(period_bounds(rule.period, reservation.at)[1], now))
        if keys:
            await self._run(SETTLE, keys, args)

    def _refusal(
        self,
        refused: list[int],
        rates: Sequence[RateRule],
        budgets: Sequence[BudgetRule],
        periods: list[tuple[str, float | None]],
        pos: WindowPos,
        tokens: int,
        cost: int,
        now: float,
    ) -> LimitExceeded:
        refusals: list[LimitExceeded] = []
        for at in range(0, len(refused), 4):
            kind, index, a, b = (int(v) for v in refused[at : at + 4])
            if kind == _BUDGET:
                rule = budgets[index]
                limit = to_micro(rule.limit_usd)
                refusals.append(budget_refusal(rule, a, b, cost, limit, periods[index][1], now))
                continue
            rate = rates[index]
            if kind == _RPM and rate.rpm is not None:
                refusals.append(rate_refusal(rate, "rpm", rate.rpm, a, b, pos.fraction, 1, self._window_s))
            elif kind == _TPM and rate.tpm is not None:
                refusals.append(rate_refusal(rate, "tpm", rate.tpm, a, b, pos.fraction, tokens, self._window_s))
        if not refusals:
            raise LimiterUnavailable(f"unreadable refusal from the acquire script: {refused!r}")
        return binding(refusals)

    async def _run(self, script: Script, keys: list[str], args: list[float | int]) -> list[int]:
        async def evalsha() -> list[int]:
            reply = await self._client.command("EVALSHA", script.sha, len(keys), *keys, *args)
            return reply  # type: ignore[return-value]

        async def call() -> list[int]:
            try:
                return await evalsha()
            except NoScriptError:  # a restarted or flushed Redis forgot the script: load it once and retry
                await self._client.command("SCRIPT", "LOAD", script.source)
                return await evalsha()

        return await self._guard(call())

    async def _guard(self, operation: Awaitable[_T]) -> _T:
        """Bound any Redis call in time and turn every failure into `LimiterUnavailable` (never a hang, never a 500)."""
        try:
            async with asyncio.timeout(self._deadline_s):
                return await operation
        except (RedisError, OSError, TimeoutError) as exc:
            raise LimiterUnavailable(f"Redis at {self._where} unavailable: {type(exc).__name__}: {exc}") from exc

    def _rate_key(self, rule: RateRule, index: int) -> str:
        return f"{self._prefix}r:{rule.scope}:{rule.subject}:{index}"

    def _spent_key(self, rule: BudgetRule, period: str) -> str:
        return f"{self._prefix}b:{rule.id}:{period}"

    def _held_key(self, rule: BudgetRule, period: str, slot: int) -> str:
        return f"{self._prefix}h:{rule.id}:{period}:{slot}"

    def _rate_ttl(self) -> int:
        return math.ceil(2 * self._window_s + 5)

    def _spent_ttl(self, period_end: float | None, now: float) -> int:
        if period_end is None:
            return math.ceil(self._total_ttl_s)
        return max(math.ceil(period_end - now + self._grace_s), 1)


_BatchKey = tuple[tuple[RateRule, ...], tuple[BudgetRule, ...], tuple[str, ...], int, int]
"""The rate rules, budgets, budget periods, minute bucket and hold slot of the requests charged together."""


@dataclass(slots=True)
class _Batch:
    """Locally admitted requests with the same rules, bucket, periods and hold slot, charged in one script call."""

    landed: asyncio.Future[None]
    at: float
    requests: int = 0
    tokens: int = 0
    cost: int = 0


def _counts(answer: list[int], nrates: int) -> list[Counts]:
    """Each rate rule's bucket counts from a charged acquire's answer."""
    return [(a, b, c, d) for a, b, c, d in zip(*[iter(answer[1 : 1 + 4 * nrates])] * 4, strict=True)]


def _spends(answer: list[int], nrates: int) -> list[Spend]:
    """Each budget's spent and held micro-dollars from a charged acquire's answer."""
    return [(a, b) for a, b in zip(*[iter(answer[1 + 4 * nrates :])] * 2, strict=True)]


def _redacted(url: str) -> str:
    """host:port/db of a Redis URL, without the password, for error messages."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 6379}{parts.path}"
