"""Profile one gateway_bench target under wrk load with py-spy and print the flame summary.

    .venv/bin/python bench/gw_profile.py [--target warden] [--duration 15] [--concurrency 16] [--top 25]

Starts the fake upstream and the target as gateway_bench.py does, samples the server with `py-spy record
--format raw` (collapsed stacks; idle frames dropped) while wrk loads it, and prints the frames with the most
self time and the most total time, as shares of the samples. The collapsed file is kept for flame graphs.
A guarded target is loaded by `gw_loadgen.py` with the bodies gateway_bench.py sends it (unique prompts, the
four-message turn, replayed conversations): wrk repeats one body, which the guardrails' caches would answer.
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gw_targets
import gw_wrk

LOADGEN = Path(__file__).resolve().parent / "gw_loadgen.py"


def _loadgen(target: gw_targets.Target, name: str, concurrency: int, duration: int) -> float:
    """Load a guarded target with gateway_bench.py's bodies for `duration` seconds; returns the rps."""
    cmd = [str(gw_targets.PROJECT_PYTHON), str(LOADGEN), "--url", f"{target.base_url}/chat/completions",
           "--api", "chat", "--key", target.key, "--model", "bench-model", "--mode", "throughput",
           "--concurrency", str(concurrency), "--requests", "1000000", "--duration", str(duration),
           "--warmup", "0", "--vary",
           *(["--shape", "chat4"] if name in gw_targets.CHAT_TURN else []),
           *(["--shape", "conversation"] if name in gw_targets.CONVERSATION else [])]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 120, check=True)
    return float(json.loads(done.stdout.strip().splitlines()[-1])["rps"])


def summarise(collapsed: Path, top: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [_short(f) for f in stack.split(";")]
        samples += count
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    out = [f"{samples} samples"]
    for title, counter in (("self", own), ("total", total)):
        out.append(f"-- top {top} by {title} time --")
        out += [f"{100 * n / samples:5.1f}%  {frame}" for frame, n in counter.most_common(top)]
    return "\n".join(out)


def _short(frame: str) -> str:
    """`fn (path/to/module.py:12)` -> `fn (module.py)`: one entry per function, not per line."""
    name, _, where = frame.partition(" (")
    path = where.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="warden", choices=sorted(gw_targets.POLICIES))
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "warden-profile.txt")
    args = parser.parse_args()
    if shutil.which("py-spy") is None and not (gw_targets.PROJECT_PYTHON.parent / "py-spy").exists():
        sys.exit("py-spy is not installed: pip install py-spy")
    pyspy = shutil.which("py-spy") or str(gw_targets.PROJECT_PYTHON.parent / "py-spy")
    with gw_targets.serving(args.target, "gwprof-") as (target, workdir):
        assert target.proc is not None
        url = f"{target.base_url}/chat/completions"
        guarded = args.target in gw_targets.GUARDED

        def load(seconds: int) -> float:
            if guarded:
                return _loadgen(target, args.target, args.concurrency, seconds)
            return gw_wrk.run(url, target.key, args.concurrency, seconds, workdir).rps

        load(3)  # warm-up: caches, pools, first imports
        spy = subprocess.Popen([pyspy, "record", "--pid", str(target.proc.pid), "--format", "raw", "--rate",
                                str(args.rate), "--duration", str(args.duration), "--output", str(args.out),
                                "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        rps = load(args.duration)
        spy.wait(timeout=args.duration + 60)
        print(f"{args.target}: {rps:.0f} rps at c={args.concurrency} under py-spy; load "
              f"{' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
        print(summarise(args.out, args.top))
        print(f"collapsed stacks: {args.out}")

if __name__ == "__main__":
    main()
