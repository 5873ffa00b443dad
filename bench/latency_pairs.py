"""c=1 latency, streaming TTFT and c=16 CPU per request of Warden built from two checkouts, interleaved with the
floor in one run.

    PYTHONPATH=$PWD .venv/bin/python bench/latency_pairs.py --before ../wt-before [--after .] \
        [--targets warden,warden-redis] [--rounds 40] [--per-round 25] [--burst 400]

On a shared machine one whole run after another mixes the code's effect with the load's: here every target
(the upstream, the floor, each Warden target from each checkout) takes `--per-round` sequential requests in
turn, round after round, so a change in load touches all of them alike; each round starts with the next target
(in a fixed order the last target of a round measured worse, whichever it was). Each checkout's gateway runs its own
code (`PYTHONPATH` set to it) on the same virtualenv. Reported per target: medians of the plain request's
latency and of the stream's time to first token over all rounds, and what each adds to the upstream's; then,
from a burst of `--burst` plain requests at 16 concurrent per round, the median rate of the bursts and the
server process's CPU (user + system, from /proc) per request over all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import gw_targets
from gw_loadgen import Runner


class Probe:
    """One target's sequential plain and streamed requests on its own keep-alive connection."""

    def __init__(self, label: str, target: gw_targets.Target) -> None:
        self.label = label
        self.pid = target.proc.pid if target.proc is not None else None
        self.rates: list[float] = []
        self.cpu_s = 0.0
        self.burst_requests = 0
        args = {"url": target.base_url + "/chat/completions", "api": "chat", "key": target.key,
                "model": "bench-model", "concurrency": 1, "requests": 10**9, "duration": 0.0, "warmup": 0,
                "vary": False, "shape": "single"}
        self.plain = Runner(SimpleNamespace(mode="latency", **args))  # type: ignore[arg-type]
        self.stream = Runner(SimpleNamespace(mode="stream", **args))  # type: ignore[arg-type]

    async def round(self, session: aiohttp.ClientSession, count: int, record: bool) -> None:
        for _ in range(count):
            await self.plain.one(session, record)
            await self.stream.one(session, record)

    async def burst(self, session: aiohttp.ClientSession, count: int) -> None:
        before, started = cpu_seconds(self.pid), time.perf_counter()
        done = len(self.plain.latencies)
        queue = iter(range(count))

        async def worker() -> None:
            for _ in queue:
                await self.plain.one(session, True)

        await asyncio.gather(*(worker() for _ in range(16)))
        elapsed = time.perf_counter() - started
        finished = len(self.plain.latencies) - done
        del self.plain.latencies[done:]  # c=16 latencies are not c=1's
        self.rates.append(finished / elapsed)
        self.cpu_s += cpu_seconds(self.pid) - before
        self.burst_requests += finished

    def errors(self) -> int:
        return self.plain.errors + self.stream.errors


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU of a process so far (0 for a target that is not ours)."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(probes: list[Probe], rounds: int, per_round: int, burst: int) -> None:
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in probes]
    wide = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=16)) for _ in probes]
    try:
        for probe, session in zip(probes, sessions, strict=True):
            await probe.round(session, 20, record=False)
        order = list(zip(probes, sessions, wide, strict=True))
        for number in range(rounds):
            # Each round starts one target further on: no target always follows the same one.
            shift = number % len(order)
            for probe, session, many in order[shift:] + order[:shift]:
                await probe.round(session, per_round, record=True)
                if burst:
                    await probe.burst(many, burst)
    finally:
        for session in sessions + wide:
            await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--targets", default="warden", help="Warden targets of gw_targets.POLICIES, comma-separated")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=25)
    parser.add_argument("--burst", type=int, default=400, help="c=16 requests per target and round (0: none)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="latency-pairs-"))
    started: list[gw_targets.Target] = []
    try:
        upstream = gw_targets.start_upstream(workdir, 0)
        started.append(upstream)
        floor = gw_targets.start_floor(upstream, workdir)
        started.append(floor)
        probes = [Probe("upstream", upstream), Probe("floor", floor)]
        for side, checkout in (("before", args.before), ("after", args.after)):
            os.environ["PYTHONPATH"] = str(checkout.resolve())
            for name in args.targets.split(","):
                folder = workdir / side
                folder.mkdir(exist_ok=True)
                target = gw_targets.start_warden(upstream.base_url, folder, name)
                started.append(target)
                probes.append(Probe(f"{name}@{side}", target))
        load = os.getloadavg()
        clock = time.perf_counter()
        asyncio.run(measure(probes, args.rounds, args.per_round, args.burst))
        print(f"{args.rounds} rounds x {args.per_round} plain + {args.per_round} streamed requests per target, "
              f"{time.perf_counter() - clock:.0f} s, load {load[0]:.2f} -> {os.getloadavg()[0]:.2f}")
        base_p50 = statistics.median(probes[0].plain.latencies)
        base_ttft = statistics.median(probes[0].stream.ttfts)
        print(f"{'target':>22} {'p50':>7} {'added':>7} {'TTFT':>7} {'added':>7} {'rps c=16':>9} {'CPU/req':>8} "
              f"{'errors':>6}")
        for probe in probes:
            p50, ttft = statistics.median(probe.plain.latencies), statistics.median(probe.stream.ttfts)
            rate = statistics.median(probe.rates) if probe.rates else 0.0
            cpu = probe.cpu_s * 1000 / probe.burst_requests if probe.burst_requests else 0.0
            print(f"{probe.label:>22} {p50:7.3f} {p50 - base_p50:7.3f} {ttft:7.3f} {ttft - base_ttft:7.3f} "
                  f"{rate:9.0f} {cpu:8.3f} {probe.errors():6d}")
    finally:
        for target in reversed(started):
            target.close()


if __name__ == "__main__":
    main()
