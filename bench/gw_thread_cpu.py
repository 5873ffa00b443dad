"""Server CPU per request by thread: the event loop's thread against the others (usage writer, key lookups).

    PYTHONPATH=$PWD .venv/bin/python bench/gw_thread_cpu.py [--target warden|floor|...] [--duration 8] [--rounds 1]

Starts the fake upstream and the target as gateway_bench.py does, loads it with `wrk -c16` and reads each
thread's user+system time from `/proc/PID/task/*/stat` before and after every round; prints CPU µs per request
for the process and for each thread that used any (the main thread is the event loop's).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import gw_targets
import gw_wrk

TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def thread_ticks(pid: int) -> dict[int, int]:
    ticks = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            stat = Path(f"/proc/{pid}/task/{tid}/stat").read_text()
        except FileNotFoundError:  # the thread ended between the listing and the read
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks[int(tid)] = int(fields[11]) + int(fields[12])
    return ticks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", default="warden", choices=["floor", *sorted(gw_targets.POLICIES)])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    with gw_targets.serving(args.target, "gwcpu-") as (target, workdir):
        assert target.proc is not None
        url = f"{target.base_url}/chat/completions"
        gw_wrk.run(url, target.key, 16, 3, workdir)  # warm-up
        for _ in range(args.rounds):
            before = thread_ticks(target.proc.pid)
            result = gw_wrk.run(url, target.key, 16, args.duration, workdir)
            after = thread_ticks(target.proc.pid)
            requests = result.ok + result.errors
            used = {tid: t - before.get(tid, 0) for tid, t in after.items() if t - before.get(tid, 0)}
            load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
            print(f"{args.target}: {result.rps:.0f} rps, {requests} requests, {result.errors} errors, "
                  f"{1e6 * sum(used.values()) / TICKS_PER_S / requests:.0f} CPU us/req; load {load}")
            for tid, ticks in sorted(used.items(), key=lambda item: -item[1]):
                name = "main (event loop)" if tid == target.proc.pid else f"thread {tid}"
                print(f"  {name:>18}: {1e6 * ticks / TICKS_PER_S / requests:.0f} us/req")

if __name__ == "__main__":
    main()
