"""Chooses a deployment for a model, retries with backoff, falls back to other models, cools down failures.

Retries happen on 429, 5xx, timeouts, broken connections and malformed answers, never on other 4xx; a retry
goes to another deployment of the model when there is one. A deployment that fails in `allowed_fails` requests
in a row cools down for `cooldown_time` seconds (a per-replica circuit breaker: each replica judges the health
it observes). One request counts at most once per deployment, however often it retries there, and an answer
that blames the request (400, 413, 422 and the other 4xx but 401/402/403/404, which say the deployment's key,
account or upstream model is wrong) never counts: one team's bad requests cannot cool a model shared with
others. When every deployment of a model is cooling, its fallbacks are tried; when none is left, the caller
gets a 503 with Retry-After.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.config import RouterSettings
from gateway.errors import RateLimited, ServiceUnavailable, UpstreamError, UpstreamTimeout, WardenError
from gateway.providers.base import Deployment, Provider, ProviderError, Transport
from gateway.providers.failures import client_error, is_client_error, is_context_window, retries_allowed
from gateway.providers.minute_tokens import SharedMinuteTokens
from gateway.providers.model_names import aliases, is_wildcard, wildcard_group, wildcard_pattern
from gateway.providers.pricing import PriceMap
from gateway.providers.strategies import Load, choose
from gateway.providers.tags import matching, no_match, request_tags
from gateway.tracing import NoTracing, Tracing

T = TypeVar("T")
Call = Callable[[Provider, Deployment, dict[str, Any]], Awaitable[T]]


@dataclass(slots=True)
class Served:
    """Which deployment answered, after how many attempts, and whether a fallback model did."""

    deployment: Deployment
    attempts: int
    fallback_from: str | None = None


@dataclass(slots=True)
class _Health:
    fails: int = 0
    cooldown_until: float = 0.0


class Router:
    def __init__(
        self,
        deployments: Sequence[Deployment],
        settings: RouterSettings,
        transports: Mapping[Transport, Provider],
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        prices: PriceMap | None = None,
        tracing: Tracing | None = None,
        shared_tokens: SharedMinuteTokens | None = None,
    ) -> None:
        self.settings = settings
        self._shared = shared_tokens
        """Every replica's tokens per deployment this minute (usage-based routing with Redis limits), or None."""
        self._prices = prices or PriceMap({})
        self._tracing = tracing or NoTracing()
        self.transports = transports
        self._clock = clock
        self._sleep = sleep
        self._groups: dict[str, list[Deployment]] = {}
        for deployment in deployments:
            self._groups.setdefault(deployment.model_name, []).append(deployment)
        self._health = {d.id: _Health() for d in deployments}
        self._loads = {d.id: Load() for d in deployments}
        # A wildcard deployment serves models a client names: its upstream's 404 says that model does not exist,
        # which must not cool the deployment down for every other model under the prefix.
        self._wildcards = frozenset(d.id for d in deployments if is_wildcard(d.model_name))
        self._fallbacks = _by_model(settings.fallbacks)
        self._context_fallbacks = _by_model(settings.context_window_fallbacks)
        self._aliases = aliases(settings)
        self._listed = [*self._groups, *(a for a, (_, hidden) in self._aliases.items() if not hidden)]

    def models(self) -> list[str]:
        return [name for name in self._listed if not is_wildcard(name)]

    def served_name(self, model_name: str) -> str | None:
        """The configured name serving `model_name` (itself, an alias, or the wildcard pattern: never a name a
        client made up), or None."""
        if is_wildcard(model_name):
            return None
        if model_name in self._groups or model_name in self._aliases:
            return model_name
        return wildcard_pattern(self._groups, model_name)

    def group(self, model_name: str) -> list[Deployment]:
        if model_name in self._aliases:
            model_name = self._aliases[model_name][0]
        if is_wildcard(model_name):  # `openai/*` is a pattern, not a model a client may call
            return []
        return self._groups.get(model_name) or wildcard_group(self._groups, model_name, self._prices)

    def health(self, deployment_id: str) -> tuple[int, float]:
        """(consecutive failures, seconds of cooldown left) of one deployment."""
        state = self._health[deployment_id]
        return state.fails, max(0.0, state.cooldown_until - self._clock())

    async def run(self, model_name: str, payload: dict[str, Any], call: Call[T],
                  allowed: frozenset[str] | None = None, only: frozenset[str] | None = None) -> tuple[T, Served]:
        """Call `model_name` (then its fallbacks) until one deployment answers. `allowed` restricts the
        deployments of `model_name` itself (e.g. to the registry version a rollout chose); `only` restricts every
        model of the chain, fallbacks included (the usage policy's data class)."""
        last_error: ProviderError | None = None
        attempts = 0
        tags, payload = request_tags(payload)
        if self.group(model_name) and not matching(self.group(model_name), tags):
            raise no_match(model_name, tags)
        for position, name in enumerate(self._chain(model_name)):
            try:
                scope = self._scope(name, tags, allowed if position == 0 else None, only)
                result, deployment, used = await self._run_group(name, payload, call, scope)
            except _GroupFailed as failed:
                attempts += failed.attempts
                last_error = failed.error or last_error
                continue
            except _TooLong as too_long:
                return await self._larger_context(model_name, name, payload, call, tags, only,
                                                  attempts + too_long.attempts, too_long.error)
            attempts += used
            return result, Served(deployment, attempts, model_name if position else None)
        raise self._final_error(model_name, last_error)

    async def _larger_context(self, model_name: str, name: str, payload: dict[str, Any], call: Call[T],
                              tags: frozenset[str], only: frozenset[str] | None, attempts: int,
                              error: ProviderError) -> tuple[T, Served]:
        """The prompt did not fit `name`: its `context_window_fallbacks`, in order, else the upstream's 400."""
        for fallback in self._context_fallbacks.get(name, ()):
            try:
                result, deployment, used = await self._run_group(fallback, payload, call,
                                                                 self._scope(fallback, tags, None, only))
            except _GroupFailed as failed:
                attempts += failed.attempts
                continue
            except _TooLong as too_long:
                attempts += too_long.attempts
                continue
            return result, Served(deployment, attempts + used, model_name)
        raise client_error(error)

    def _scope(self, name: str, tags: frozenset[str], allowed: frozenset[str] | None,
               only: frozenset[str] | None) -> frozenset[str]:
        scope = frozenset(d.id for d in matching(self.group(name), tags))
        for limit in (allowed, only):
            if limit is not None:
                scope &= limit
        return scope
    def reachable(self, model_name: str) -> list[Deployment]:
        """Every deployment a request for `model_name` may reach, its fallbacks' included."""
        return [d for name in self._chain(model_name) for d in self.group(name)]

    def _chain(self, model_name: str) -> list[str]:
        fallbacks = self._fallbacks.get(model_name, self.settings.default_fallbacks)
        return [model_name, *(name for name in fallbacks if name != model_name)]

    async def _run_group(self, name: str, payload: dict[str, Any], call: Call[T],
                         allowed: frozenset[str] | None) -> tuple[T, Deployment, int]:
        tried: set[str] = set(d.id for d in self.group(name) if allowed is not None and d.id not in allowed)
        error: ProviderError | None = None
        attempts = retries = 0
        failed: set[str] = set()  # deployments this request already counted a failure against
        while True:
            deployment = await self._pick(name, tried | failed) or await self._pick(name, tried)
            if deployment is None:
                break
            attempts += 1
            state, load = self._health[deployment.id], self._loads[deployment.id]
            load.in_flight += 1
            started = self._clock()
            try:
                if deployment.unavailable:
                    raise ProviderError("config", deployment.unavailable)
                transport = self.transports[deployment.transport]
                body = {**dict(deployment.default_params), **payload, "model": deployment.upstream_model}
                with self._tracing.attempt(deployment, attempts):
                    result = await call(transport, deployment, body)
            except ProviderError as exc:
                error = exc
                if exc.status == 404 and deployment.id in self._wildcards:
                    raise client_error(exc) from None
                if is_context_window(exc) and self._context_fallbacks.get(name):
                    raise _TooLong(exc, attempts) from None
                allowed_retries = retries_allowed(self.settings.retry_policy, exc, self.settings.num_retries)
                if is_client_error(exc):
                    if retries >= allowed_retries:
                        raise client_error(exc) from None
                elif deployment.id not in failed:
                    failed.add(deployment.id)
                    self._failed(deployment)
                if retries >= allowed_retries:
                    break
                if exc.retryable:
                    await self._sleep(self._backoff(retries, exc.retry_after))
                elif not is_client_error(exc):
                    tried.add(deployment.id)
                retries += 1
                continue
            finally:
                load.in_flight -= 1
            state.fails = 0
            self._observe(load, started)
            # A stream's tokens are not known yet: the pipeline counts them when it ends (`count_tokens`).
            await self.count_tokens(deployment.id, getattr(result, "prompt_tokens", 0)
                                    + getattr(result, "completion_tokens", 0))
            return result, deployment, attempts
        raise _GroupFailed(error, attempts)

    async def count_tokens(self, deployment_id: str, tokens: int) -> None:
        """What a deployment served, for usage-based routing: in this process, and for every replica when the
        counts are shared."""
        load = self._loads.get(deployment_id)
        if load is None or tokens <= 0:
            return
        load.add_tokens(tokens, time.time())
        if self._shared is not None:
            await self._shared.add(deployment_id, tokens)

    async def close(self) -> None:
        if self._shared is not None:
            await self._shared.close()

    async def _pick(self, name: str, tried: set[str]) -> Deployment | None:
        now = self._clock()
        group = self.group(name)
        healthy = [d for d in group if d.id not in tried and self._health[d.id].cooldown_until <= now]
        if not healthy:
            return None
        # LiteLLM's `order`: only the lowest order present is eligible; the next is tried once those failed.
        first = min(_order(d) for d in healthy)
        healthy = [d for d in healthy if _order(d) == first]
        # Tokens are counted per wall-clock minute, the minute the shared counters (and every replica) use.
        minute_now = time.time()
        if self._shared is not None and len(healthy) > 1:
            counts = await self._shared.read([d.id for d in healthy])
            for deployment_id, tokens in (counts or {}).items():
                self._loads[deployment_id].set_tokens(tokens, minute_now)
        return choose(self.settings.routing_strategy, healthy, self._loads, minute_now)

    def _observe(self, load: Load, started: float) -> None:
        # A stream's latency is its time to the first chunk.
        load.observe_latency(self._clock() - started)

    def _failed(self, deployment: Deployment) -> None:
        state = self._health[deployment.id]
        state.fails += 1
        if state.fails >= self.settings.allowed_fails and self.settings.cooldown_time > 0:
            state.cooldown_until = self._clock() + self.settings.cooldown_time
            state.fails = 0

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        delay = self.settings.retry_backoff_s * (2**attempt) * random.uniform(0.5, 1.0)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.settings.max_backoff_s)

    def _final_error(self, model_name: str, error: ProviderError | None) -> WardenError:
        if error is None:
            waits = [self.health(d.id)[1] for d in self.group(model_name)]
            return ServiceUnavailable(
                f"every deployment of model {model_name!r} is cooling down after failures",
                headers={"retry-after": str(max(1, int(min(waits, default=1.0) + 0.999)))},
            )
        if error.kind == "timeout":
            return UpstreamTimeout(f"the upstream for model {model_name!r} timed out: {error.message}")
        if error.status == 429:
            return RateLimited(
                f"the upstream for model {model_name!r} is rate limiting: {error.message}",
                retry_after=error.retry_after or 1.0,
                code="upstream_rate_limited",
            )
        return UpstreamError(f"the upstream for model {model_name!r} failed: {error.message}")


def _by_model(fallbacks: list[dict[str, list[str]]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for entry in fallbacks:
        for model, targets in entry.items():
            out.setdefault(model, []).extend(targets)
    return out


def _order(deployment: Deployment) -> float:
    return math.inf if deployment.order is None else deployment.order


class _TooLong(Exception):
    """The prompt did not fit a model that has context-window fallbacks."""

    def __init__(self, error: ProviderError, attempts: int) -> None:
        super().__init__("context window exceeded")
        self.error = error
        self.attempts = attempts


class _GroupFailed(Exception):
    def __init__(self, error: ProviderError | None, attempts: int) -> None:
        super().__init__("model group failed")
        self.error = error
        self.attempts = attempts
