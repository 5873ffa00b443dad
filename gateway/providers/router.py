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
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from gateway.config import RouterSettings
from gateway.errors import BadRequest, RateLimited, ServiceUnavailable, UpstreamError, UpstreamTimeout, WardenError
from gateway.providers.base import Deployment, Provider, ProviderError, Transport
from gateway.providers.model_names import aliases, is_wildcard, wildcard_group, wildcard_pattern
from gateway.providers.pricing import PriceMap
from gateway.providers.strategies import Load, choose
from gateway.providers.tags import matching, no_match, request_tags
from gateway.tracing import NoTracing, Tracing

T = TypeVar("T")
# 4xx answers that say the deployment (its key, account or upstream model name) is wrong, not the request.
_DEPLOYMENT_FAULTS = frozenset({401, 402, 403, 404})
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
    ) -> None:
        self.settings = settings
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
        self._fallbacks: dict[str, list[str]] = {}
        for entry in settings.fallbacks:
            for model, targets in entry.items():
                self._fallbacks.setdefault(model, []).extend(targets)
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
                scope = allowed if position == 0 else None
                if only is not None:
                    scope = only if scope is None else scope & only
                tagged = frozenset(d.id for d in matching(self.group(name), tags))
                scope = tagged if scope is None else scope & tagged
                result, deployment, used = await self._run_group(name, payload, call, scope)
            except _GroupFailed as failed:
                attempts += failed.attempts
                last_error = failed.error or last_error
                continue
            attempts += used
            return result, Served(deployment, attempts, model_name if position else None)
        raise self._final_error(model_name, last_error)

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
        attempts = 0
        failed: set[str] = set()  # deployments this request already counted a failure against
        for attempt in range(self.settings.num_retries + 1):
            deployment = self._pick(name, tried | failed) or self._pick(name, tried)
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
                if _is_client_error(exc) or (exc.status == 404 and deployment.id in self._wildcards):
                    raise _client_error(exc) from None
                if deployment.id not in failed:
                    failed.add(deployment.id)
                    self._failed(deployment)
                if exc.retryable:
                    await self._sleep(self._backoff(attempt, exc.retry_after))
                else:
                    tried.add(deployment.id)
                continue
            finally:
                load.in_flight -= 1
            state.fails = 0
            self._observe(load, started, result)
            return result, deployment, attempts
        raise _GroupFailed(error, attempts)

    def _pick(self, name: str, tried: set[str]) -> Deployment | None:
        now = self._clock()
        group = self.group(name)
        healthy = [d for d in group if d.id not in tried and self._health[d.id].cooldown_until <= now]
        if not healthy:
            return None
        return choose(self.settings.routing_strategy, healthy, self._loads, now)

    def _observe(self, load: Load, started: float, result: object) -> None:
        # A stream's latency is its time to the first chunk; its tokens are not known yet and are not counted.
        now = self._clock()
        load.observe_latency(now - started)
        load.add_tokens(getattr(result, "prompt_tokens", 0) + getattr(result, "completion_tokens", 0), now)

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


class _GroupFailed(Exception):
    def __init__(self, error: ProviderError | None, attempts: int) -> None:
        super().__init__("model group failed")
        self.error = error
        self.attempts = attempts


def _is_client_error(error: ProviderError) -> bool:
    status = error.status
    return (error.kind == "status" and status is not None and 400 <= status < 500
            and not error.retryable and status not in _DEPLOYMENT_FAULTS)


def _client_error(error: ProviderError) -> BadRequest:
    return BadRequest(f"the upstream rejected the request: {error.message}", code="upstream_bad_request")
