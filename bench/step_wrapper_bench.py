"""Nanoseconds per pipeline step through `gateway.tracing.traced` with tracing off, beside a bare coroutine.

    .venv/bin/python bench/step_wrapper_bench.py CHECKOUT [CHECKOUT ...]

Each checkout's `gateway.tracing` is imported in its own process (the best of five runs of 600,000 awaits).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

N = 100_000


def measure() -> None:
    from gateway.tracing import NoTracing, traced

    class Gw:
        tracing = NoTracing()

    @traced("step")
    async def step(gw: object, ctx: object, value: int) -> int:
        return value

    async def bare(gw: object, ctx: object, value: int) -> int:
        return value

    async def loop(fn) -> float:  # type: ignore[no-untyped-def]
        gw, best = Gw(), float("inf")
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(N):
                await fn(gw, None, 1); await fn(gw, None, 1); await fn(gw, None, 1)
                await fn(gw, None, 1); await fn(gw, None, 1); await fn(gw, None, 1)
            best = min(best, time.perf_counter() - started)
        return best / (6 * N) * 1e9

    print(f"traced {asyncio.run(loop(step)):.0f} ns per step, bare coroutine {asyncio.run(loop(bare)):.0f} ns")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] != "--here":
        for checkout in sys.argv[1:]:
            print(checkout, end=": ", flush=True)
            subprocess.run([sys.executable, __file__, "--here"], env={"PYTHONPATH": checkout}, check=True)
    else:
        measure()
