"""Gateway overhead benchmark: the fake upstream directly vs Warden vs the LiteLLM proxy, one worker each.

Run by hand from the repository root:

    .venv/bin/python bench/gateway_bench.py [--only upstream,warden,litellm] [--duration 10] [--requests 20000]

Per target: latency at concurrency 1, throughput at concurrency 16 (wrk when installed, else the Python client),
streaming time-to-first-token at concurrency 1, and the server's RSS (idle after start-up, peak under load).
"Added" latency is the target's percentile minus the upstream's, measured in the same run. Results are printed and
saved under bench/results/. All traffic goes to 127.0.0.1; every scenario is bounded in requests and seconds.
`--apis` adds rows `warden/responses` and `warden/messages`: the same Warden process, measured through
`POST /v1/responses` and `POST /v1/messages` (translated to the same chat-completions upstream), and the same rows
for `warden-native`, whose deployments take both natively (the fake upstream's `/v1/responses` and `/v1/messages`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from collections.abc import Callable
from typing import Any

import gw_floor
import gw_targets
import gw_wrk
from gw_loadgen import PATHS, Result
from gw_procs import PeakSampler, tree_cpu_s, tree_memory

RESULTS_DIR = Path(__file__).resolve().parent / "results"
LOADGEN = Path(__file__).resolve().parent / "gw_loadgen.py"
TARGET_ORDER = ("upstream", "floor", "warden", "warden-native", "warden-redis", "warden-redis-budget",
                "warden-traced", "warden-policy", "warden-default",
                "warden-convo", "warden-convo-checked", "warden-input", "warden-guarded", "litellm")
TARGETS = {"added_p50": 1 / 8, "rps": 6.0, "idle_rss": 0.5}
API_TARGETS = ("warden", "warden-native")
"""The targets also measured through the other API families (`--apis`), as rows `<target>/<api>`."""


def loadgen(
    target: gw_targets.Target, mode: str, concurrency: int, args: argparse.Namespace, api: str = "chat"
) -> Result:
    cmd = [
        str(gw_targets.PROJECT_PYTHON),
        str(LOADGEN),
        "--url",
        f"{target.base_url}{PATHS[api]}",
        "--api",
        api,
        "--key",
        target.key,
        "--model",
        gw_targets.API_MODELS.get(target.name, {}).get(api, "bench-model"),
        "--mode",
        mode,
        "--concurrency",
        str(concurrency),
        "--requests",
        str(args.requests),
        "--duration",
        str(args.duration),
        "--warmup",
        str(args.warmup),
        *(["--vary"] if target.name in gw_targets.GUARDED else []),
        *(["--shape", "chat4"] if target.name in gw_targets.CHAT_TURN else []),
        *(["--shape", "conversation"] if target.name in gw_targets.CONVERSATION else []),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=args.duration + 120)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed ({done.returncode}): {done.stderr[-800:]}")
    return Result(**json.loads(done.stdout.strip().splitlines()[-1]))


def _with_cpu(pid: int, run_scenario: Callable[[], Result], warmup: int) -> dict[str, Any]:
    """Run one scenario and add the server's CPU milliseconds per request (contention barely moves this one)."""
    before = tree_cpu_s(pid)
    result = run_scenario()
    spent = tree_cpu_s(pid) - before
    sent = result.ok + result.errors + warmup
    return {**asdict(result), "server_cpu_ms_per_req": round(spent * 1000 / sent, 3) if sent else None}


def measure(target: gw_targets.Target, args: argparse.Namespace, workdir: Path, api: str = "chat") -> dict[str, Any]:
    assert target.proc is not None
    pid = target.proc.pid
    time.sleep(args.settle)
    idle = tree_memory(pid)
    print(
        f"[{target.name} {api}] up in {target.startup_s:.1f} s, idle RSS {idle.rss_mib:.0f} MiB; measuring",
        file=sys.stderr,
    )
    # wrk repeats one body, which guardrail caches would answer: the guarded target uses unique prompts.
    # wrk_post.lua sends a chat-completions body: the other API families use the Python client.
    use_wrk = gw_wrk.available() and not args.no_wrk and target.name not in gw_targets.GUARDED and api == "chat"
    url = f"{target.base_url}/chat/completions"
    with PeakSampler(pid) as sampler:
        latency = _with_cpu(pid, lambda: loadgen(target, "latency", 1, args, api), args.warmup)
        if use_wrk:
            throughput = _with_cpu(
                pid, lambda: gw_wrk.run(url, target.key, args.concurrency, args.duration, workdir), 0
            )
        else:
            throughput = _with_cpu(
                pid, lambda: loadgen(target, "throughput", args.concurrency, args, api), args.warmup
            )
        stream = _with_cpu(pid, lambda: loadgen(target, "stream", 1, args, api), args.warmup)
    after = tree_memory(pid)
    return {
        "startup_s": round(target.startup_s, 2),
        "idle_rss_mib": round(idle.rss_mib, 1),
        "peak_rss_mib": round(max(sampler.peak_mib, after.hwm_mib), 1),
        "processes": after.processes,
        "latency_c1": latency,
        "throughput": throughput,
        "stream_c1": stream,
    }


def start(name: str, upstream: gw_targets.Target, workdir: Path) -> gw_targets.Target:
    if name == "floor":
        return gw_targets.start_floor(upstream, workdir)
    if name in gw_targets.POLICIES:
        return gw_targets.start_warden(upstream.base_url, workdir, name)
    gw_targets.ensure_litellm_venv()
    return gw_targets.start_litellm(upstream.base_url, workdir)


def add_deltas(results: dict[str, dict[str, Any]]) -> None:
    base = results.get("upstream")
    for row in results.values():
        for q in ("p50", "p99"):
            mine = row["latency_c1"][f"{q}_ms"]
            theirs = base["latency_c1"][f"{q}_ms"] if base else None
            row[f"added_{q}_ms"] = round(mine - theirs, 3) if mine is not None and theirs is not None else None


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Warden vs LiteLLM on the three targets; empty unless both ran."""
    warden, litellm = results.get("warden"), results.get("litellm")
    if not warden or not litellm:
        return {}
    pairs = {
        "added_p50": (warden["added_p50_ms"], litellm["added_p50_ms"], "<="),
        "rps": (warden["throughput"]["rps"], litellm["throughput"]["rps"], ">="),
        "idle_rss": (warden["idle_rss_mib"], litellm["idle_rss_mib"], "<="),
    }
    out = {}
    for key, (mine, theirs, sense) in pairs.items():
        value = mine / theirs if mine is not None and theirs else None
        met = value is not None and (value <= TARGETS[key] if sense == "<=" else value >= TARGETS[key])
        out[key] = {
            "warden": mine,
            "litellm": theirs,
            "ratio": value,
            "target": f"{sense} {TARGETS[key]:g}",
            "met": met,
        }
    mine, theirs = warden["throughput"]["server_cpu_ms_per_req"], litellm["throughput"]["server_cpu_ms_per_req"]
    out["cpu_ms_per_req"] = {
        "warden": mine,
        "litellm": theirs,
        "ratio": mine / theirs if mine and theirs else None,
        "target": "info",
        "met": None,
    }
    return out


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: dict[str, dict[str, Any]]) -> str:
    head = [
        "scenario",
        "p50 c=1",
        "p99 c=1",
        "added p50",
        "added p99",
        "rps c=16",
        "p50 c=16",
        "TTFT p50",
        "stream p50",
        "CPU/req",
        "idle RSS",
        "peak RSS",
        "errors",
    ]
    rows = [head]
    for name, r in results.items():
        lat, thr, st = r["latency_c1"], r["throughput"], r["stream_c1"]
        errors = lat["errors"] + thr["errors"] + st["errors"]
        rows.append(
            [
                name,
                _fmt(lat["p50_ms"]),
                _fmt(lat["p99_ms"]),
                _fmt(r["added_p50_ms"]),
                _fmt(r["added_p99_ms"]),
                _fmt(thr["rps"], 0),
                _fmt(thr["p50_ms"]),
                _fmt(st["ttft_p50_ms"]),
                _fmt(st["p50_ms"]),
                _fmt(thr["server_cpu_ms_per_req"]),
                _fmt(r["idle_rss_mib"], 0),
                _fmt(r["peak_rss_mib"], 0),
                str(errors),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths)) for row in rows]
    legend = "(latencies in ms; CPU/req = the server's CPU ms per request at c=16; RSS in MiB)"
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:], legend])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(TARGET_ORDER), help="comma list of upstream,warden,litellm")
    parser.add_argument("--duration", type=float, default=10.0, help="max seconds per scenario")
    parser.add_argument("--requests", type=int, default=20000, help="max requests per scenario (Python client)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--settle", type=float, default=2.0, help="seconds between health and the idle RSS reading")
    parser.add_argument("--latency-ms", type=int, default=0, help="fake upstream latency")
    parser.add_argument("--no-wrk", action="store_true", help="use the Python client for throughput too")
    parser.add_argument("--apis", default=",".join(PATHS),
                        help="API families measured on the `warden` target: chat,responses,messages")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    args.targets = [t.strip() for t in args.only.split(",") if t.strip()]
    unknown = sorted(set(args.targets) - set(TARGET_ORDER))
    if unknown:
        parser.error(f"--only: unknown target(s) {unknown!r}; known: {list(TARGET_ORDER)!r}")
    args.api_list = [a.strip() for a in args.apis.split(",") if a.strip()]
    unknown = sorted(set(args.api_list) - set(PATHS))
    if unknown or "chat" not in args.api_list:
        parser.error(f"--apis: {args.apis!r} must name chat and only known families {list(PATHS)!r}")
    return args


def run(args: argparse.Namespace, workdir: Path) -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    upstream = gw_targets.start_upstream(workdir, args.latency_ms)
    try:
        for name in (t for t in TARGET_ORDER if t in args.targets):
            target = upstream if name == "upstream" else start(name, upstream, workdir)
            try:
                results[name] = measure(target, args, workdir)
                if name in API_TARGETS:
                    for api in (a for a in args.api_list if a != "chat"):
                        results[f"{name}/{api}"] = measure(target, args, workdir, api)
            finally:
                if target is not upstream:
                    target.close()
    finally:
        upstream.close()
    add_deltas(results)
    return results


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="gwbench-"))
    load_before = Path("/proc/loadavg").read_text().split()[:3]
    if float(load_before[0]) > 1.0:
        print(
            f"warning: load average {load_before[0]} before start; other work shares the CPUs, so absolute "
            "figures are inflated: compare ratios and CPU/req",
            file=sys.stderr,
        )
    try:
        results = run(args, workdir)
    except Exception:
        print(f"bench failed; server logs kept in {workdir}", file=sys.stderr)
        raise
    compared = ratios(results)
    report = {
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before},
        "load_generator": "wrk -t1" if gw_wrk.available() and not args.no_wrk else "python aiohttp",
        "litellm_version": gw_targets.litellm_version() if "litellm" in args.targets else None,
        "args": {k: v for k, v in vars(args).items() if k != "out"},
        "results": results,
        "ratios_vs_litellm": compared,
    }
    print(table(results))
    for key, entry in compared.items():
        verdict = {True: "MET", False: "MISSED", None: ""}[entry["met"]]
        print(f"warden/litellm {key}: {_fmt(entry['ratio'], 3)} (target {entry['target']}) {verdict}")
    for line in gw_floor.compare(results):
        print(line)
    load_after = Path("/proc/loadavg").read_text().split()[:3]
    print(f"load average before {' '.join(load_before)}, after {' '.join(load_after)}")
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"gateway_bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2))
    print(f"saved {path}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
