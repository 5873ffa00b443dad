"""Generated evaluation sets with known answers: a base block of rows copied once per group, so a model that treats
the groups alike has fairness gaps of exactly zero, and an unfair or degraded model is made so by construction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

REGIONS = ("north", "south", "east", "west")


def base_block(rows: int = 800, seed: int = 7) -> pd.DataFrame:
    """A good classifier: the score is a noisy copy of the label's driver, so accuracy is about 0.95."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=rows)
    label = (x + rng.normal(scale=0.1, size=rows) > 0).astype(int)
    score = 1 / (1 + np.exp(-3 * x))
    return pd.DataFrame({
        "label": label, "prediction": (score >= 0.5).astype(int), "score": score.round(6),
        "income": (50_000 + 10_000 * x).round(2), "region": [REGIONS[i % 4] for i in range(rows)],
    })


def evaluation_set(unfair: bool = False, worse_region: str | None = None) -> pd.DataFrame:
    """Groups `a` and `b` hold the same rows. `unfair`: group b is refused every other positive prediction.
    `worse_region`: half the predictions in that region are wrong, in both groups alike."""
    block = base_block()
    if worse_region is not None:
        hit = (block["region"] == worse_region).to_numpy() & ((np.arange(len(block)) // 4) % 2 == 0)
        block.loc[hit, "prediction"] = 1 - block.loc[hit, "label"]
        block.loc[hit, "score"] = 1.0 - block.loc[hit, "score"]
    a, b = block.assign(group="a"), block.assign(group="b")
    if unfair:
        refused = (b["prediction"] == 1).to_numpy() & (np.arange(len(b)) % 2 == 0)
        b.loc[refused, "prediction"] = 0
    return pd.concat([a, b], ignore_index=True)


def write(frame: pd.DataFrame, path: Path) -> Path:
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        frame.to_json(path, orient="records", lines=True)
    return path
