"""Overhead of the limiters per request: acquire + settle with a gateway-like rule set (4 rates, 2 budgets).

    .venv/bin/python bench/limits_bench.py [--redis-url redis://127.0.0.1:6379/0] [--requests 5000] [--concurrency 50]

Prints p50/p99/mean latency of sequential calls and the throughput of concurrent ones, for memory and Redis.
The Redis keys live under a throwaway prefix and are deleted afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from pathlib import Path

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.limits.base import BudgetRule, Limiter, RateRule  # noqa: E402
from gateway.limits.memory import MemoryLimiter  # noqa: E402
from gateway.limits.redis_limiter import RedisLimiter  # noqa: E402

BIG = 10**12


def rules(request: int, users: int) -> tuple[list[RateRule], list[BudgetRule]]:
    """What the gateway builds for one request: key, team, model and end-user rates; key and team budgets."""
    rates = [
        RateRule("key", "k1", rpm=BIG, tpm=BIG),
        RateRule("team", "t1", rpm=BIG, tpm=BIG),
        RateRule("model", "gpt-4o-mini", rpm=BIG, tpm=BIG),
        RateRule("user", f"u{request % users}", rpm=BIG, tpm=BIG),
    ]
    budgets = [BudgetRule("key", "k1", 1e9, "day"), BudgetRule("team", "t1", 1e9, "month")]
    return rates, budgets


async def one(limiter: Limiter, request: int, users: int) -> float:
    rates, budgets = rules(request, users)
    started = time.perf_counter()
    reservation = await limiter.acquire(rates, budgets, 500, 0.01)
    await limiter.settle(reservation, 420, 0.004)
    return time.perf_counter() - started


async def measure(name: str, limiter: Limiter, requests: int, concurrency: int, users: int) -> None:
    for warm in range(200):
        await one(limiter, warm, users)
    samples = sorted([await one(limiter, i, users) for i in range(requests)])
    p50, p99 = samples[len(samples) // 2], samples[int(len(samples) * 0.99)]
    started = time.perf_counter()
    for batch in range(0, requests, concurrency):
        await asyncio.gather(*(one(limiter, i, users) for i in range(batch, min(batch + concurrency, requests))))
    rate = requests / (time.perf_counter() - started)
    print(
        f"{name:7s} acquire+settle  p50 {p50 * 1e3:.3f} ms  p99 {p99 * 1e3:.3f} ms  "
        f"mean {statistics.fmean(samples) * 1e3:.3f} ms  |  {rate:,.0f} req/s at concurrency {concurrency}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--users", type=int, default=1000, help="distinct end users cycled through")
    args = parser.parse_args()
    await measure("memory", MemoryLimiter(), args.requests, args.concurrency, args.users)
    prefix = f"warden-bench:{uuid.uuid4().hex[:8]}:"
    limiter = RedisLimiter(args.redis_url, prefix=prefix, timeout_s=1.0, deadline_s=2.0)
    try:
        await measure("redis", limiter, args.requests, args.concurrency, args.users)
    finally:
        await limiter.close()
        admin = Redis.from_url(args.redis_url)
        keys = [key async for key in admin.scan_iter(match=f"{prefix}*", count=1000)]
        if keys:
            await admin.delete(*keys)
        await admin.aclose()


if __name__ == "__main__":
    asyncio.run(main())
