"""A generated training set whose bias figures are known by construction.

1000 rows: group A 600 rows (300 positive, rate 0.5), group B 400 rows (100 positive, rate 0.25); overall rate 0.4.
Region: north 700, south 200, missing 100.
"""

from __future__ import annotations

import pandas as pd

EXPECTED = {
    ("group", "A"): (600, 0.6, 0.5, 0.1),
    ("group", "B"): (400, 0.4, 0.25, -0.15),
    ("region", "north"): (700, 0.7, None, None),
    ("region", "south"): (200, 0.2, None, None),
    ("region", "(missing)"): (100, 0.1, None, None),
}


def training_set() -> pd.DataFrame:
    group = ["A"] * 600 + ["B"] * 400
    label = ([1] * 300 + [0] * 300) + ([1] * 100 + [0] * 300)
    region: list[str | None] = ["north"] * 700 + ["south"] * 200 + [None] * 100
    return pd.DataFrame({"group": group, "region": region, "income": range(1000), "label": label})


def check(groups: list[dict[str, object]]) -> None:
    """Counts, shares and label rates (region's rate per its own rows) match the construction."""
    seen = {(g["column"], g["value"]): g for g in groups}
    assert set(seen) == set(EXPECTED)
    for key, (count, share, rate, gap) in EXPECTED.items():
        g = seen[key]
        assert g["count"] == count and abs(float(g["share"]) - share) < 1e-12, g  # type: ignore[arg-type]
        if rate is not None:
            assert abs(float(g["label_rate"]) - rate) < 1e-12, g  # type: ignore[arg-type]
            assert abs(float(g["label_gap"]) - gap) < 1e-12, g  # type: ignore[arg-type]
