"""How long a 20-case suite takes: live (recording) against the local demo provider through an in-process
gateway, then on replay from the cassette it recorded. Start-up (models loading) is counted apart.

    .venv/bin/python bench/eval_bench.py [--cases 20] [--concurrency 4]

Uses config/gateway.yaml (the demo provider) and a throwaway SQLite registry; prints one line per mode.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def write_suite(folder: Path, cases: int) -> Path:
    lines = ["model: demo-chat", "assertions:", "  - {max_latency_ms: 30000}", "metrics:",
             "  - {metric: rouge}", "cases:"]
    for i in range(cases):
        lines += [f"  - id: case-{i:02d}", f"    reference: Question number {i} about invoices.",
                  f"    messages: [{{role: user, content: \"Question number {i} about invoices?\"}}]",
                  "    assertions: [{contains: invoices}]"]
    path = folder / "bench.eval.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        suite = write_suite(Path(tmp), args.cases)
        from evals.inprocess import inprocess_gateway
        from evals.runner import RunOptions
        from evals.session import SessionOptions, run_suites

        run = RunOptions(concurrency=args.concurrency)
        started = time.perf_counter()
        with inprocess_gateway("demo") as target:
            ready = time.perf_counter()
            options = SessionOptions(mode="live", gateway=target.base_url, key=target.key, run=run, store=False)
            first = run_suites([suite], options)[0]
            options = SessionOptions(mode="record", gateway=target.base_url, key=target.key, run=run, store=False)
            live = run_suites([suite], options)[0]
        print(f"gateway start-up (in-process, models loading): {ready - started:.2f} s")
        print(f"live, first run (guardrail models warming up): {len(first.cases)} cases in {first.duration_s:.2f} s")
        print(f"live, warm (recording): {len(live.cases)} cases in {live.duration_s:.2f} s, "
              f"{sum(c.passed for c in live.cases)} passed")
        started = time.perf_counter()
        replay = run_suites([suite], SessionOptions(mode="replay", run=run, store=False))[0]
        print(f"replay: {len(replay.cases)} cases in {replay.duration_s:.2f} s (run_suites total "
              f"{time.perf_counter() - started:.2f} s), {sum(c.passed for c in replay.cases)} passed")


if __name__ == "__main__":
    main()
