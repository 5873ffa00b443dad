"""Building the gateway's limiter from its configuration."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from gateway.limits.base import Limiter
from gateway.limits.failover import FailoverLimiter, FailureMode
from gateway.limits.local_admission import HEADROOM, MARGIN, MAX_AGE_S, MAX_IN_FLIGHT, Bounds
from gateway.limits.memory import MemoryLimiter


class LocalAdmissionConfig(BaseModel):
    """How far from every limit a request must be to skip waiting for Redis, and how much may be on its way."""

    model_config = ConfigDict(extra="forbid")

    headroom: float = Field(HEADROOM, gt=0, le=1, description="Share of each limit the view must leave free.")
    margin: int = Field(MARGIN, ge=1, description="Requests' worth the view must leave free (tokens: this many times "
                        "the request's; a budget: this many times its worst-case cost).")
    max_in_flight: int = Field(MAX_IN_FLIGHT, ge=1, le=100_000, description="Charges per rule on their way to Redis "
                               "at once, per process: the most a limit can be passed by.")
    max_age_s: float = Field(MAX_AGE_S, gt=0, le=5, description="How old Redis's last answer for a rule may be.")

    def bounds(self) -> Bounds:
        return Bounds(self.headroom, self.margin, self.max_in_flight, self.max_age_s)


class LimitsConfig(BaseModel):
    """Where rate and budget state lives, and what to do when that store is down."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "warden:"
    on_redis_down: FailureMode = "open"
    timeout_s: float = Field(0.25, gt=0, le=5)
    retry_interval_s: float = Field(5.0, gt=0)
    max_connections: int = Field(16, ge=1, description="The pool for rediss:// and unix:// URLs; a redis:// URL "
                                 "uses one pipelined connection.")
    hold_s: float = Field(900.0, gt=0, description="How long an unsettled budget hold counts (at most twice this).")
    local_admission: bool | LocalAdmissionConfig = Field(
        True, description="With Redis: a request far from every limit (half of each left, on this process's view "
        "of the last 0.1 s) is charged behind its back instead of waiting for Redis. False: every request waits for "
        "the check. An object sets the bounds (gateway/limits/local_admission.py).")


def build_limiter(config: LimitsConfig, *, clock: Callable[[], float] = time.time) -> Limiter:
    """The memory limiter, or Redis behind a failover wrapper with a memory fallback. Connects lazily."""
    if config.backend == "memory":
        return MemoryLimiter(clock=clock)
    from gateway.limits.redis_limiter import RedisLimiter  # only deployments that use Redis import its client

    primary = RedisLimiter(
        config.redis_url,
        prefix=config.key_prefix,
        clock=clock,
        connect_timeout_s=config.timeout_s,
        timeout_s=config.timeout_s,
        deadline_s=2 * config.timeout_s,
        max_connections=config.max_connections,
        hold_s=config.hold_s,
        local_admission=(config.local_admission.bounds() if isinstance(config.local_admission, LocalAdmissionConfig)
                         else config.local_admission),
    )
    return FailoverLimiter(
        primary, MemoryLimiter(clock=clock), config.on_redis_down, retry_interval_s=config.retry_interval_s
    )
