"""Data-drift benchmark: Warden's sketch-based detector versus Evidently's DataDriftPreset.

Both sides read the same synthetic parquet files (1M current rows x 20 features, 100k reference rows; three
features shifted on purpose) in their own subprocess, so wall time and peak RSS (from wait4) are per side.
Evidently runs in its own virtualenv (bench/evidently_env.sh creates it when missing).

    .venv/bin/python bench/drift_bench.py                 # both sides, default sizes
    .venv/bin/python bench/drift_bench.py --skip-evidently
    .venv/bin/python bench/drift_bench.py --sources       # 10M rows: Parquet stream, PostgreSQL pushdown vs read-out
    .venv/bin/python bench/drift_bench.py --only-sources --source-sides pg-filters,pg-pushdown,pg-readout
    .venv/bin/python bench/drift_bench.py --only-sources --source-sides pg-incremental --added 100000 \
        [--readout-after] --pg-dsn postgresql://postgres@127.0.0.1:5432/DB   # a second check after N new rows

With --sources the 10M-row sides of bench/drift_sources.py run too (the data is generated once: Parquet files under
--data, a table in the --pg-dsn database); the load average is printed with each figure (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMERIC = [f"n{i}" for i in range(14)]
CATEGORICAL = [f"c{i}" for i in range(6)]
DRIFTED = ["n0", "n7", "c2"]
EVIDENTLY_VENV = Path(os.environ.get("EVIDENTLY_VENV", "/tmp/evidently-venv"))


def _numeric_column(rng: object, i: int, n: int, shifted: bool) -> object:
    import numpy as np

    assert isinstance(rng, np.random.Generator)
    family = i % 5
    if family == 0:
        values = rng.normal(10.0, 2.0, n) + (1.0 if shifted else 0.0)  # mean shift of half a standard deviation
    elif family == 1:
        values = rng.lognormal(1.0, 0.5, n)
    elif family == 2:
        values = rng.normal(0.0, 1.6 if shifted else 1.0, n)  # spread widens
    elif family == 3:
        values = rng.poisson(4.0, n).astype(np.float64)  # many ties
    else:
        values = rng.uniform(-5.0, 5.0, n)
    values[rng.random(n) < 0.01] = np.nan
    return values


def _categorical_column(rng: object, i: int, n: int, shifted: bool) -> object:
    import numpy as np
    import pyarrow as pa

    assert isinstance(rng, np.random.Generator)
    k = 4 + 3 * i
    weights = np.linspace(2.0, 1.0, k)
    if shifted:
        weights = weights[::-1] ** 3  # the rarest categories become the most frequent
    codes = rng.choice(k, size=n, p=weights / weights.sum()).astype(np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes), pa.array([f"cat{i}_{j}" for j in range(k)]))


def generate(out: Path, rows: int, ref_rows: int, seed: int) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    for name, n, drift in (("reference", ref_rows, False), ("current", rows, True)):
        rng = np.random.default_rng(seed + (1 if drift else 0))
        columns = {f: _numeric_column(rng, i, n, drift and f in DRIFTED) for i, f in enumerate(NUMERIC)}
        columns |= {f: _categorical_column(rng, i, n, drift and f in DRIFTED) for i, f in enumerate(CATEGORICAL)}
        pq.write_table(pa.table(columns), out / f"{name}.parquet")


def run_warden(data: Path) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    import pyarrow.parquet as pq

    from registry.monitoring.drift import detect_drift
    from registry.monitoring.reference import build_profile

    start = time.perf_counter()
    reference = pq.read_table(data / "reference.parquet")
    current = pq.read_table(data / "current.parquet")
    loaded = time.perf_counter()
    profile = build_profile({n: reference.column(n) for n in reference.column_names})
    profiled = time.perf_counter()
    results = detect_drift(profile, {n: current.column(n) for n in current.column_names})
    done = time.perf_counter()
    return {
        "drifted": sorted(r.feature for r in results if r.drifted),
        "scores": {r.feature: round(r.psi, 4) for r in results},
        "load_s": loaded - start,
        "profile_s": profiled - loaded,
        "detect_s": done - profiled,
        "compute_s": done - start,
    }


def run_evidently(data: Path) -> dict[str, object]:
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    start = time.perf_counter()
    reference = pd.read_parquet(data / "reference.parquet")
    current = pd.read_parquet(data / "current.parquet")
    loaded = time.perf_counter()
    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    report = Report([DataDriftPreset()])
    snapshot = report.run(
        current_data=Dataset.from_pandas(current, data_definition=definition),
        reference_data=Dataset.from_pandas(reference, data_definition=definition),
    )
    done = time.perf_counter()
    drifted, scores = [], {}
    for metric in snapshot.dict()["metrics"]:
        config = metric.get("config", {})
        column = config.get("column")
        if config.get("type", "").endswith("ValueDrift") and column:
            value, threshold = float(metric["value"]), float(config["threshold"])
            scores[column] = round(value, 4)
            is_p_value = config.get("method", "").endswith("p_value")
            if (value < threshold) if is_p_value else (value >= threshold):
                drifted.append(column)
    return {"drifted": sorted(drifted), "scores": scores, "load_s": loaded - start, "compute_s": done - start}


def _measure(command: list[str]) -> dict[str, object]:
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{command!r} exited with {process.returncode}")
    result = json.loads(output.strip().splitlines()[-1])
    result["process_wall_s"] = time.perf_counter() - start
    # wait4's ru_maxrss keeps the parent's RSS from before the child's exec; the child's own VmHWM does not.
    result["peak_rss_mb"] = result.pop("vm_hwm_mb", usage.ru_maxrss / 1024)
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


def vm_hwm_mb() -> float:
    """This process's peak resident set (Linux VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _verdict(result: dict[str, object]) -> str:
    drifted = set(result["drifted"])  # type: ignore[arg-type]
    missed, false_alarms = sorted(set(DRIFTED) - drifted), sorted(drifted - set(DRIFTED))
    return f"missed={missed} false_alarms={false_alarms}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", choices=["warden", "evidently"], help="internal: run one side and print JSON")
    parser.add_argument("--data", type=Path, default=Path("/tmp/warden-drift-bench"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ref-rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-evidently", action="store_true")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument("--sources", action="store_true", help="also the 10M-row Parquet and PostgreSQL sides")
    parser.add_argument("--only-sources", action="store_true", help="only the 10M-row sides")
    parser.add_argument("--source-rows", type=int, default=10_000_000)
    parser.add_argument("--source-sides", default="",
                        help="comma-separated subset of parquet,pg-filters,pg-pushdown,pg-readout,pg-incremental")
    parser.add_argument("--added", type=int, default=100_000, help="pg-incremental: rows added before the second check")
    parser.add_argument("--readout-after", action="store_true", help="pg-incremental: also read the rows out after")
    parser.add_argument("--pg-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if args.side:
        runner = run_warden if args.side == "warden" else run_evidently
        print(json.dumps(runner(args.data) | {"vm_hwm_mb": vm_hwm_mb()}))
        return
    marker = args.data / f"{args.rows}-{args.ref_rows}-{args.seed}.ok"
    if args.regenerate or not marker.exists():
        generate(args.data, args.rows, args.ref_rows, args.seed)
        marker.touch()
    sides = {} if args.only_sources else {"warden": [sys.executable, __file__, "--side", "warden", "--data", str(args.data)]}
    if args.sources or args.only_sources:
        chosen = _source_sides(args)
        sides |= {n: c for n, c in chosen.items() if not args.source_sides or n in args.source_sides.split(",")}
    if not args.skip_evidently and not args.only_sources:
        subprocess.run(["bash", str(ROOT / "bench" / "evidently_env.sh")], check=True, stdout=subprocess.DEVNULL)
        sides["evidently"] = [str(EVIDENTLY_VENV / "bin" / "python"), __file__, "--side", "evidently", "--data", str(args.data)]
    results = {}
    for name, command in sides.items():
        load_before = os.getloadavg()[0]
        results[name] = _measure(command)
        results[name]["load_avg_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    for name, result in results.items():
        if "rows" in result:
            print(f"{name:11s} {result['rows']:,} rows  compute {result['compute_s']:.2f}s  process {result['process_wall_s']:.2f}s"
                  f"  client CPU {result['cpu_s']:.1f}s"
                  f"  peak RSS {result['peak_rss_mb']:.0f} MB  load avg (1 min) before/after {result['load_avg_1m']}")
            continue
        print(
            f"{name:9s} compute {result['compute_s']:.2f}s (load {result['load_s']:.2f}s)"
            f"  process {result['process_wall_s']:.2f}s  peak RSS {result['peak_rss_mb']:.0f} MB"
            f"  drifted={result['drifted']}  {_verdict(result)}"
        )
    _compare_pg(results)
    print(json.dumps({n: {k: v for k, v in r.items() if k != "counts"} for n, r in results.items()}, indent=1, default=str))


def _source_sides(args: argparse.Namespace) -> dict[str, list[str]]:
    sys.path.insert(0, str(ROOT / "bench"))
    sys.path.insert(0, str(ROOT))
    import drift_sources

    lake = args.data / "current10m"
    marker = args.data / f"current10m-{args.source_rows}-{args.seed}.ok"
    wanted = args.source_sides.split(",") if args.source_sides else ["parquet"]
    if "parquet" in wanted and (args.regenerate or not marker.exists()):
        drift_sources.generate_parquet(lake, args.source_rows, args.seed)
        marker.touch()
    profile = args.data / f"pg-{args.source_rows}.profile.json"
    if args.regenerate or not profile.exists():
        started = time.perf_counter()
        drift_sources.generate_postgres(args.pg_dsn, args.source_rows)
        drift_sources.postgres_profile(args.pg_dsn, profile)
        print(f"generated {args.source_rows:,} rows in PostgreSQL in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    os.environ["WARDEN_BENCH_DSN"] = args.pg_dsn
    script = str(ROOT / "bench" / "drift_sources.py")
    return {
        "parquet": [sys.executable, script, "parquet", str(args.data)],
        "pg-filters": [sys.executable, script, "pg-filters", "WARDEN_BENCH_DSN", str(profile)],
        "pg-pushdown": [sys.executable, script, "pg-pushdown", "WARDEN_BENCH_DSN", str(profile)],
        "pg-readout": [sys.executable, script, "pg-readout", "WARDEN_BENCH_DSN", str(profile)],
        "pg-incremental": [sys.executable, script, "pg-incremental", "WARDEN_BENCH_DSN", str(profile), str(args.added),
                           *(["--readout-after"] if args.readout_after else [])],
    }


def _compare_pg(results: dict[str, dict[str, object]]) -> None:
    incremental = results.get("pg-incremental")
    if incremental:
        second, full = float(incremental["second_s"]), float(incremental["full_after_s"])  # type: ignore[arg-type]
        readout = incremental.get("readout_after_s")
        print(f"second check after {incremental['added']:,} new rows ({incremental['rows']:,} in all): incremental "
              f"{second:.2f}s, full pushdown {full:.2f}s ({full / second:.1f}x)"
              + (f", read-out {float(readout):.1f}s ({float(readout) / second:.0f}x)" if readout else "")  # type: ignore[arg-type]
              + f"; first check {float(incremental['first_s']):.2f}s; identical counts: {incremental['identical_counts']}")  # type: ignore[arg-type]
    push = results.get("pg-pushdown")
    for name, what in (("pg-readout", "reading the rows out"), ("pg-filters", "the former filtered-count query")):
        other = results.get(name)
        if push and other:
            same = push["counts"] == other["counts"]
            ratio = float(other["compute_s"]) / float(push["compute_s"])  # type: ignore[arg-type]
            print(f"PostgreSQL pushdown {ratio:.1f}x faster than {what}; identical counts: {same}")


if __name__ == "__main__":
    main()
