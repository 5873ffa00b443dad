"""How long `warden models validate` takes on a large generated evaluation set (default 1,000,000 rows).

Writes a Parquet file (two numeric and one categorical feature, a sensitive attribute, label, prediction and
score), registers a model version in a temporary SQLite registry, then times the whole command: reading the file,
metrics overall and per segment with bootstrap intervals, fairness, a filter scenario and storing the report.

    .venv/bin/python bench/validation_bench.py [--rows 1000000] [--bootstrap 200]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402
from click.testing import CliRunner  # noqa: E402

from gateway.cli.models import models_group  # noqa: E402


def generate(rows: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    score = 1 / (1 + np.exp(-3 * x))
    return pd.DataFrame({
        "label": (x + rng.normal(scale=0.3, size=rows) > 0).astype(np.int8),
        "prediction": (score >= 0.5).astype(np.int8), "score": score,
        "income": 50_000 + 10_000 * x, "age": rng.integers(18, 90, rows),
        "region": rng.choice(["north", "south", "east", "west"], rows), "group": rng.choice(["a", "b"], rows),
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bootstrap", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data, spec, url = Path(tmp) / "eval.parquet", Path(tmp) / "spec.yaml", f"sqlite:///{tmp}/bench.db"
        generate(args.rows).to_parquet(data, index=False)
        spec.write_text(yaml.safe_dump({"validation": {"thresholds": {"accuracy": 0.8, "roc_auc": 0.85},
                                                       "segment_columns": ["region"], "sensitive_columns": ["group"]}}))
        runner = CliRunner()
        base = ["--database-url", url, "--actor", "bench"]
        runner.invoke(models_group, [*base, "register", "bench", "--kind", "classical", "--owner", "o", "--team", "t",
                                     "--use-case", "benchmark"], catch_exceptions=False)
        runner.invoke(models_group, [*base, "version", "bench", "1.0", "--spec", str(spec)], catch_exceptions=False)
        start = time.perf_counter()
        result = runner.invoke(models_group, [*base, "validate", "bench", "1.0", "--data", str(data), "--bootstrap",
                                              str(args.bootstrap), "--filter", "age >= 80", "--html",
                                              f"{tmp}/report.html"], catch_exceptions=False)
        elapsed = time.perf_counter() - start
    report = json.loads(result.output)
    print(f"rows={args.rows} bootstrap={args.bootstrap} seconds={elapsed:.1f} passed={report['passed']} "
          f"segments={len(report['segments'])} issues={len(report['issues'])}")


if __name__ == "__main__":
    main()
