"""The p99 that usage logging adds at a fixed request rate on PostgreSQL, and the usage rows written per second
meanwhile (issue 19: "measure rows/s sustained and the p99 added by logging at 1,000 rps").

One `warden serve` (one worker, limits in process, a key with a rate limit so the limiter runs) in front of the
fake upstream (tests/support/fake_upstream.py, no delay), each run on a fresh PostgreSQL database (created on
127.0.0.1:5432, dropped after), loaded by gw_openloop.py: its own process, requests due at a fixed rate whatever
the answers' latency, each latency counted from its due time. Per rate, two runs of the same server:

- `on` (target `warden`): usage logging at its defaults, batches of 200 rows flushed every 0.5 s;
- `off` (target `warden-nolog`): `usage: {batch_size: 1000000, flush_interval_s: 3600}`: every row is still built
  and queued, none is written while it serves (they are written when it stops, and counted then).

p99 added by logging = p99(on) - p99(off). Rows/s: usage rows counted in PostgreSQL when the window starts and
ends. CPU ms per answered request: the server's process tree, and the database's backends (PostgreSQL shares
the same cores; its background writers are not counted). `--rounds 2` repeats the pairs, in the other order.

    PYTHONPATH=. .venv/bin/python bench/logging_p99.py [--rate 1000,500] [--duration 20] [--warmup 3] [--rounds 1]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine

import gw_pg
import gw_targets
from gw_procs import tree_cpu_s

TARGETS = {"on": "warden", "off": "warden-nolog"}
DRAIN_S = 1.5
"""After the load: three flush intervals, so every row of the `on` run has been written."""
OPENLOOP = Path(__file__).with_name("gw_openloop.py")
SUSTAINED = 0.95
"""A run whose answered rate is under this share of the rate asked did not sustain it, and says so."""


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


@dataclass(frozen=True)
class Sample:
    at: float
    rows: int
    server_cpu_s: float
    backends_cpu_s: dict[int, float]


def _sample(target: gw_targets.Target, counter: Engine) -> Sample:
    assert target.proc is not None
    return Sample(time.monotonic(), gw_pg.usage_rows(counter), tree_cpu_s(target.proc.pid),
                  gw_pg.backend_cpu(counter))


def _drive(target: gw_targets.Target, counter: Engine, rate: int, args: argparse.Namespace,
           workdir: Path) -> dict[str, object]:
    """Runs the open-loop generator against ``target``; samples rows and CPU at the window's start and end."""
    cmd = [str(gw_targets.PROJECT_PYTHON), str(OPENLOOP), "--url", f"{target.base_url}/chat/completions",
           "--key", target.key, "--rate", str(rate), "--duration", str(args.duration), "--warmup-s", str(args.warmup)]
    marks: dict[str, Sample] = {}
    result: dict[str, object] = {}
    with (workdir / "openloop.err").open("wb") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=gw_targets._base_env())
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            event = json.loads(line)
            if event.get("event") in ("window-start", "window-end"):
                marks[event["event"]] = _sample(target, counter)
            else:
                result = event
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    if proc.returncode != 0 or not result or len(marks) != 2:
        raise RuntimeError(f"gw_openloop.py failed ({proc.returncode}); see {workdir / 'openloop.err'}")
    start, end = marks["window-start"], marks["window-end"]
    answered = max(1, int(str(result["ok"])))
    rows = end.rows - start.rows
    backends = gw_pg.backend_cpu_between(start.backends_cpu_s, end.backends_cpu_s)
    return {**result, "rows_in_window": rows, "rows_per_s": round(rows / (end.at - start.at), 1),
            "server_cpu_ms_per_req": round((end.server_cpu_s - start.server_cpu_s) * 1000 / answered, 3),
            "pg_cpu_ms_per_req": round(backends * 1000 / answered, 3)}


def run_once(upstream: gw_targets.Target, rate: int, mode: str, args: argparse.Namespace,
             workdir: Path) -> dict[str, object]:
    """One server on its own database, loaded at ``rate``; rows counted after the drain and after it stopped."""
    database = gw_pg.create_database("warden_logp99")
    url = gw_pg.database_url(database)
    counter = create_engine(url, pool_size=1, max_overflow=0)
    load_before = _load()
    target: gw_targets.Target | None = None
    try:
        workdir.mkdir(parents=True)
        target = gw_targets.start_warden(upstream.base_url, workdir, TARGETS[mode], url)
        out = _drive(target, counter, rate, args, workdir)
        time.sleep(DRAIN_S)
        out["rows_after_drain"] = gw_pg.usage_rows(counter)
        target.close()
        target = None
        out["rows_after_stop"] = gw_pg.usage_rows(counter)
        out |= {"rate_asked": rate, "logging": mode, "load_before": load_before, "load_after": _load()}
        return out
    finally:
        if target is not None:
            target.close()
        counter.dispose()
        gw_pg.drop_database(database)


COLUMNS = ("rate_asked", "logging", "achieved_rps", "p50_ms", "p95_ms", "p99_ms", "max_ms", "errors", "lag_p99_ms",
           "client_cpu_share", "server_cpu_ms_per_req", "pg_cpu_ms_per_req", "rows_per_s", "rows_after_drain",
           "rows_after_stop", "load_before")


def _report(runs: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    print(" | ".join(COLUMNS))
    for run in runs:
        print(" | ".join(str(run.get(column)) for column in COLUMNS))
        if float(str(run["achieved_rps"])) < SUSTAINED * float(str(run["rate_asked"])):
            print(f"  NOT SUSTAINED: {run['achieved_rps']} of {run['rate_asked']} rps answered "
                  f"(load generator lag p99 {run['lag_p99_ms']} ms, its CPU {run['client_cpu_share']} of a core)")
    summary: dict[str, dict[str, object]] = {}
    for rate in sorted({int(str(run["rate_asked"])) for run in runs}, reverse=True):
        pairs = {mode: [run for run in runs if run["rate_asked"] == rate and run["logging"] == mode]
                 for mode in TARGETS}
        added = {q: [float(str(on[q])) - float(str(off[q])) for on, off in zip(pairs["on"], pairs["off"])]
                 for q in ("p50_ms", "p99_ms", "server_cpu_ms_per_req")}
        rows = [float(str(run["rows_per_s"])) for run in pairs["on"]]
        found = summary[str(rate)] = {"added_" + q: round(statistics.median(v), 3) for q, v in added.items()} | {
            "rows_per_s_on": round(statistics.median(rows), 1), "rounds": len(pairs["on"])}
        print(f"{rate} rps: p99 added by logging {found['added_p99_ms']} ms, p50 added {found['added_p50_ms']} ms, "
              f"server CPU added {found['added_server_cpu_ms_per_req']} ms/req, usage rows written "
              f"{found['rows_per_s_on']}/s (median of {len(rows)} pair(s); with logging off no row is written "
              f"during the window: its rows land when the server stops)")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", default="1000,500", help="requests per second, comma-separated")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds measured per run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds at the same rate before, not measured")
    parser.add_argument("--rounds", type=int, default=1, help="on/off pairs per rate (alternating which goes first)")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results"))
    args = parser.parse_args()
    try:
        rates = [int(rate) for rate in args.rate.split(",") if rate]
    except ValueError:
        parser.error(f"--rate: comma-separated whole numbers, got {args.rate!r}")
    if not rates or min(rates) <= 0 or args.rounds < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error(f"--rate {args.rate!r}, --rounds {args.rounds!r}, --duration {args.duration!r}, "
                     f"--warmup {args.warmup!r}: rates, rounds and duration must be positive")
    workdir = Path(tempfile.mkdtemp(prefix="logp99-"))
    print(f"load average before: {_load()} ({workdir})", flush=True)
    upstream = gw_targets.start_upstream(workdir, 0)
    runs = []
    try:
        for rate in rates:
            for round_ in range(args.rounds):
                for mode in (("on", "off") if round_ % 2 == 0 else ("off", "on")):
                    runs.append(run_once(upstream, rate, mode, args, workdir / f"{rate}-{mode}-{round_}"))
                    print(json.dumps(runs[-1]), flush=True)
    finally:
        upstream.close()
    summary = _report(runs)
    args.out.mkdir(exist_ok=True)
    path = args.out / f"logging_p99-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps({"runs": runs, "summary": summary, "load_after": _load()}, indent=1))
    print(f"load average after: {_load()}; saved {path}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
