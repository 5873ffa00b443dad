"""Open-loop load at a fixed rate, run as its own process: request i is due at start + i / rate whatever the
answers' latency, and its latency counts from that due time, not from when it was sent. A server that stalls
for 200 ms therefore shows 200 requests waiting up to 200 ms each, which a closed loop (a fixed number of
clients, each sending when the last answer came) would hide by sending less meanwhile (coordinated omission).

Prints one JSON object a line on stdout: ``{"event": "window-start"}`` when the warm-up ends,
``{"event": "window-end"}`` when the last request of the window is due, then the result. Only requests due in
the window are measured; the run ends when they have all answered or timed out.

    python bench/gw_openloop.py --url http://127.0.0.1:PORT/v1/chat/completions --key sk-... --rate 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import asdict, dataclass

import aiohttp

from gw_loadgen import percentile, request_body, request_headers


@dataclass
class OpenLoopResult:
    rate: float
    duration_s: float
    due: int
    ok: int
    errors: int
    achieved_rps: float
    """Answered requests due in the window over the time from the window's start to the last answer."""
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    p999_ms: float | None
    max_ms: float | None
    lag_p99_ms: float | None
    """How late this process started requests (its own lag, on a busy machine): part of every latency above."""
    lag_max_ms: float | None
    max_in_flight: int
    client_cpu_share: float
    """This process's CPU over the window as a share of one core: near 1.0 it is the bottleneck, not the server."""
    first_error: str | None


def _emit(event: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class OpenLoop:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.body = request_body(False, args.model)
        self.headers = request_headers("chat", args.key)
        self.latencies: list[float] = []
        self.lags: list[float] = []
        self.errors = 0
        self.first_error: str | None = None
        self.last_done = 0.0
        self.in_flight = 0
        self.max_in_flight = 0

    async def one(self, session: aiohttp.ClientSession, due: float, measured: bool) -> None:
        started = time.perf_counter()
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        error: str | None = None
        try:
            async with session.post(self.args.url, data=self.body, headers=self.headers) as response:
                await response.read()
                if response.status != 200:
                    error = f"HTTP {response.status}"
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        finally:
            self.in_flight -= 1
        done = time.perf_counter()
        if not measured:
            return
        self.lags.append((started - due) * 1000)
        if error is not None:
            self.errors += 1
            self.first_error = self.first_error or error
            return
        self.latencies.append((done - due) * 1000)
        self.last_done = max(self.last_done, done)

    async def run(self) -> OpenLoopResult:
        args = self.args
        period = 1.0 / args.rate
        warm, window = round(args.warmup_s * args.rate), round(args.duration * args.rate)
        # The cap is far above what a stall needs, so requests never queue for a connection in this process.
        connector = aiohttp.TCPConnector(limit=args.max_connections)
        timeout = aiohttp.ClientTimeout(total=args.timeout_s)
        tasks: set[asyncio.Task[None]] = set()
        cpu_start = time.process_time()
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            start = time.perf_counter() + 0.05
            window_start = start + warm * period
            for index in range(warm + window):
                due = start + index * period
                delay = due - time.perf_counter()
                if delay > 0:  # behind schedule: send at once, never skip (the lag is measured)
                    await asyncio.sleep(delay)
                if index == warm:
                    _emit({"event": "window-start"})
                    cpu_start = time.process_time()
                task = asyncio.create_task(self.one(session, due, index >= warm))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.sleep(max(0.0, start + (warm + window) * period - time.perf_counter()))
            cpu = time.process_time() - cpu_start
            _emit({"event": "window-end"})
            if tasks:
                await asyncio.gather(*tasks)
        return self._result(window, max(args.duration, self.last_done - window_start), cpu)

    def _result(self, due: int, elapsed_s: float, cpu_s: float) -> OpenLoopResult:
        def ms(q: float, values: list[float]) -> float | None:
            value = percentile(values, q)
            return None if value is None else round(value, 2)

        return OpenLoopResult(
            rate=self.args.rate, duration_s=self.args.duration, due=due, ok=len(self.latencies), errors=self.errors,
            achieved_rps=round(len(self.latencies) / elapsed_s, 1),
            p50_ms=ms(50, self.latencies), p95_ms=ms(95, self.latencies), p99_ms=ms(99, self.latencies),
            p999_ms=ms(99.9, self.latencies), max_ms=ms(100, self.latencies),
            lag_p99_ms=ms(99, self.lags), lag_max_ms=ms(100, self.lags), max_in_flight=self.max_in_flight,
            client_cpu_share=round(cpu_s / self.args.duration, 3), first_error=self.first_error,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the chat completions route")
    parser.add_argument("--key", required=True)
    parser.add_argument("--model", default="bench-model")
    parser.add_argument("--rate", type=float, default=1000.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured, after the warm-up")
    parser.add_argument("--warmup-s", type=float, default=3.0, help="seconds at the same rate, not measured")
    parser.add_argument("--timeout-s", type=float, default=30.0, help="a request slower than this is an error")
    parser.add_argument("--max-connections", type=int, default=4000)
    args = parser.parse_args(argv)
    if not args.url.startswith(("http://127.0.0.1", "http://localhost")):
        sys.exit(f"refusing non-local target {args.url!r}")
    if args.rate <= 0 or args.duration <= 0 or args.warmup_s < 0:
        sys.exit(f"--rate and --duration must be positive, --warmup-s not negative: {args.rate!r}, "
                 f"{args.duration!r}, {args.warmup_s!r}")
    try:
        import uvloop  # finer timers and a cheaper loop: the generator must not be what is measured
    except ImportError:
        result = asyncio.run(OpenLoop(args).run())
    else:
        result = uvloop.run(OpenLoop(args).run())
    _emit(asdict(result))


if __name__ == "__main__":
    main()
