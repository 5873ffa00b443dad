"""The limiter configuration and what it builds."""

from __future__ import annotations

import pydantic
import pytest

from gateway.limits.factory import LimitsConfig, build_limiter
from gateway.limits.failover import FailoverLimiter
from gateway.limits.memory import MemoryLimiter
from gateway.limits.redis_limiter import RedisLimiter


async def test_memory_is_the_default() -> None:
    assert isinstance(build_limiter(LimitsConfig()), MemoryLimiter)


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_redis_sits_behind_a_failover(mode: str) -> None:
    config = LimitsConfig(backend="redis", on_redis_down=mode, key_prefix="warden-test:")  # type: ignore[arg-type]
    limiter = build_limiter(config)
    assert isinstance(limiter, FailoverLimiter)
    assert isinstance(limiter.primary, RedisLimiter)
    assert limiter.mode == mode
    assert await limiter.ping()
    await limiter.close()


@pytest.mark.parametrize(
    "fields",
    [{"backend": "memcached"}, {"on_redis_down": "ajar"}, {"timeout_s": 0}, {"redis_urll": "redis://x"}],
)
def test_bad_settings_are_refused(fields: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        LimitsConfig(**fields)  # type: ignore[arg-type]
