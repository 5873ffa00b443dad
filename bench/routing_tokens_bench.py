"""What usage-based routing with `limits.backend: redis` adds per request: one MGET of the candidates' minute
counters before the pick, one INCRBY+EXPIRE pipeline after the answer. Run by hand from the repository root:

    .venv/bin/python bench/routing_tokens_bench.py [--redis redis://127.0.0.1:6379/0] [--rounds 2000]

Prints the p50/p99 of each in microseconds; the keys live under a throwaway prefix and are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid

from gateway.limits.factory import LimitsConfig
from gateway.providers.minute_tokens import SharedMinuteTokens


def _percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    return (f"p50 {statistics.median(ordered) * 1e6:.0f} us, "
            f"p99 {ordered[int(len(ordered) * 0.99) - 1] * 1e6:.0f} us")


async def main(url: str, rounds: int) -> None:
    prefix = f"bench-route-tpm-{uuid.uuid4().hex[:8]}:"
    counts = SharedMinuteTokens(LimitsConfig(backend="redis", redis_url=url, key_prefix=prefix))
    ids = ["chat-a#0", "chat-a#1"]
    reads, adds = [], []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            await counts.read(ids)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            await counts.add(ids[0], 42)
            adds.append(time.perf_counter() - started)
    finally:
        keys = [key async for key in counts._redis.scan_iter(f"{prefix}*")]  # noqa: SLF001 (a bench's cleanup)
        if keys:
            await counts._redis.delete(*keys)  # noqa: SLF001
        await counts.close()
    print(f"{rounds} rounds: read (before a pick) {_percentiles(reads)}; add (after an answer) {_percentiles(adds)}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--rounds", type=int, default=2000)
    options = parser.parse_args()
    asyncio.run(main(options.redis, options.rounds))
