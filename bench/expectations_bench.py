"""Cost of the data-quality expectations at ingest: `check_records` on one batch, and the bias analysis of a file.

    PYTHONPATH=$PWD python bench/expectations_bench.py [--rows 10000] [--repeat 5]

Prints the best of `repeat` runs (seconds) for each; no database, the storage cost is one row per feature and window.
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from registry.monitoring.expectations import FeatureExpectation, check_records
from registry.monitoring.schemas import PredictionRecord
from registry.validation.bias import analyse
from registry.validation.options import DataFile


def _best(repeat: int, run: object) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    records = [PredictionRecord(model_version="1", ts=t0 + timedelta(seconds=i), prediction=1,
                                features={"age": float(a), "plan": p, "x": float(x)})
               for i, (a, p, x) in enumerate(zip(rng.integers(0, 120, args.rows), rng.choice(["basic", "pro", "gold"],
                                                  args.rows), rng.normal(size=args.rows)))]
    expect = {"age": FeatureExpectation(type="number", min=18, max=100, max_null_rate=0.01),
              "plan": FeatureExpectation(type="string", allowed=("basic", "pro")),
              "x": FeatureExpectation(type="number", min=-3, max=3)}
    took = _best(args.repeat, lambda: check_records(expect, records, 3600))
    print(f"check_records: {args.rows} rows x 3 features: {took * 1000:.1f} ms")
    frame = pd.DataFrame({"group": rng.choice(list("ABCD"), args.rows * 10), "region": rng.choice(list("NSEW"),
                          args.rows * 10), "label": rng.integers(0, 2, args.rows * 10)})
    data = DataFile(frame.to_csv(index=False).encode(), "csv", "train.csv")
    took = _best(args.repeat, lambda: analyse(data, ["group"], "label", ["region"]))
    print(f"bias analyse: {args.rows * 10} rows csv, 1 sensitive + 1 segment + label: {took * 1000:.1f} ms")


if __name__ == "__main__":
    main()
