"""c=1 latency and streaming TTFT of Warden built from two checkouts, interleaved with the floor in one run.

    PYTHONPATH=$PWD .venv/bin/python bench/latency_pairs.py --before ../wt-before [--after .] \
        [--targets warden,warden-redis] [--rounds 40] [--per-round 25]

On a shared machine one whole run after another mixes the code's effect with the load's: here every target
(the upstream, the floor, each Warden target from each checkout) takes `--per-round` sequential requests in
turn, round after round, so a change in load touches all of them alike. Each checkout's gateway runs its own
code (`PYTHONPATH` set to it) on the same virtualenv. Reported per target: medians of the plain request's
latency and of the stream's time to first token over all rounds, and what each adds to the upstream's.
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
        args = {"url": target.base_url + "/chat/completions", "api": "chat", "key": target.key,
                "model": "bench-model", "concurrency": 1, "requests": 10**9, "duration": 0.0, "warmup": 0,
                "vary": False, "shape": "single"}
        self.plain = Runner(SimpleNamespace(mode="latency", **args))  # type: ignore[arg-type]
        self.stream = Runner(SimpleNamespace(mode="stream", **args))  # type: ignore[arg-type]

    async def round(self, session: aiohttp.ClientSession, count: int, record: bool) -> None:
        for _ in range(count):
            await self.plain.one(session, record)
            await self.stream.one(session, record)

    def errors(self) -> int:
        return self.plain.errors + self.stream.errors


async def measure(probes: list[Probe], rounds: int, per_round: int) -> None:
    sessions = [aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) for _ in probes]
    try:
        for probe, session in zip(probes, sessions, strict=True):
            await probe.round(session, 20, record=False)
        for _ in range(rounds):
            for probe, session in zip(probes, sessions, strict=True):
                await probe.round(session, per_round, record=True)
    finally:
        for session in sessions:
            await session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--after", type=Path, default=Path("."))
    parser.add_argument("--targets", default="warden", help="Warden targets of gw_targets.POLICIES, comma-separated")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--per-round", type=int, default=25)
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
        asyncio.run(measure(probes, args.rounds, args.per_round))
        print(f"{args.rounds} rounds x {args.per_round} plain + {args.per_round} streamed requests per target, "
              f"{time.perf_counter() - clock:.0f} s, load {load[0]:.2f} -> {os.getloadavg()[0]:.2f}")
        base_p50 = statistics.median(probes[0].plain.latencies)
        base_ttft = statistics.median(probes[0].stream.ttfts)
        print(f"{'target':>22} {'p50':>7} {'added':>7} {'TTFT':>7} {'added':>7} {'errors':>6}")
        for probe in probes:
            p50, ttft = statistics.median(probe.plain.latencies), statistics.median(probe.stream.ttfts)
            print(f"{probe.label:>22} {p50:7.3f} {p50 - base_p50:7.3f} {ttft:7.3f} {ttft - base_ttft:7.3f} "
                  f"{probe.errors():6d}")
    finally:
        for target in reversed(started):
            target.close()


if __name__ == "__main__":
    main()
