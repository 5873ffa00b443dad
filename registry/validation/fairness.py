"""Fairness of binary predictions across the groups of each sensitive attribute, measured with fairlearn and
checked against the limits of the model's risk tier."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from registry.governance.measured import FairnessResult, GroupRates
from registry.governance.policy import FairnessPolicy


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _compressed(y: np.ndarray, pred: np.ndarray, labels: np.ndarray) -> pd.DataFrame:
    """One row per (label, prediction, group) with its count as weight: the same figures, at any data size."""
    frame = pd.DataFrame({"y": y, "pred": pred, "group": labels})
    return frame.groupby(["y", "pred", "group"], sort=True).size().rename("weight").reset_index()


def _groups(rows: pd.DataFrame) -> list[GroupRates]:
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate

    weight = rows["weight"].to_numpy()
    frame = MetricFrame(
        metrics={"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
        y_true=rows["y"].to_numpy(), y_pred=rows["pred"].to_numpy(), sensitive_features=rows["group"].to_numpy(),
        sample_params={name: {"sample_weight": weight} for name in ("selection_rate", "tpr", "fpr")},
    )
    counts = rows.groupby("group")["weight"].sum()
    return [
        GroupRates(group=str(group), rows=int(counts[group]), selection_rate=float(row["selection_rate"]),
                   true_positive_rate=_finite(row["tpr"]), false_positive_rate=_finite(row["fpr"]))
        for group, row in frame.by_group.iterrows()
    ]


def _issues(attribute: str, figures: dict[str, float], limits: FairnessPolicy) -> list[str]:
    checks = (
        ("demographic parity difference", figures["dpd"], limits.max_demographic_parity_difference, True),
        ("demographic parity ratio", figures["dpr"], limits.min_demographic_parity_ratio, False),
        ("equalized odds difference", figures["eod"], limits.max_equalized_odds_difference, True),
        ("equal opportunity difference", figures["eop"], limits.max_equal_opportunity_difference, True),
    )
    issues = []
    for label, value, limit, is_max in checks:
        if not np.isfinite(value) or (value > limit if is_max else value < limit):
            bound = "at most" if is_max else "at least"
            issues.append(f"{attribute!r}: {label} {value:.4f} (tier limit: {bound} {limit})")
    return issues


def fairness(attribute: str, y: np.ndarray, pred: np.ndarray, groups: pd.Series,
             limits: FairnessPolicy) -> FairnessResult:
    """Demographic parity (difference and ratio), equalized odds and equal opportunity over the groups of one
    attribute; missing values form a group of their own so no row silently drops out."""
    from fairlearn.metrics import (
        demographic_parity_difference,
        demographic_parity_ratio,
        equal_opportunity_difference,
        equalized_odds_difference,
    )

    labels = groups.astype("string").fillna("missing").to_numpy(dtype=object)
    rows = _compressed((y == 1).astype(np.int64), (pred == 1).astype(np.int64), labels)
    args = (rows["y"].to_numpy(), rows["pred"].to_numpy())
    kwargs = {"sensitive_features": rows["group"].to_numpy(), "sample_weight": rows["weight"].to_numpy()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figures = {
            "dpd": float(demographic_parity_difference(*args, **kwargs)),
            "dpr": float(demographic_parity_ratio(*args, **kwargs)),
            "eod": float(equalized_odds_difference(*args, **kwargs)),
            "eop": float(equal_opportunity_difference(*args, **kwargs)),
        }
        rates = _groups(rows)
    issues = _issues(attribute, figures, limits)
    return FairnessResult(
        attribute=attribute, groups=rates,
        demographic_parity_difference=_finite(figures["dpd"]), demographic_parity_ratio=_finite(figures["dpr"]),
        equalized_odds_difference=_finite(figures["eod"]), equal_opportunity_difference=_finite(figures["eop"]),
        passed=not issues, issues=issues,
    )
