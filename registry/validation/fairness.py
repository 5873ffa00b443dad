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


def _groups(y: np.ndarray, pred: np.ndarray, groups: pd.Series) -> list[GroupRates]:
    from fairlearn.metrics import MetricFrame, count, false_positive_rate, selection_rate, true_positive_rate

    frame = MetricFrame(
        metrics={"rows": count, "selection_rate": selection_rate, "tpr": true_positive_rate,
                 "fpr": false_positive_rate},
        y_true=y, y_pred=pred, sensitive_features=groups,
    )
    return [
        GroupRates(group=str(group), rows=int(row["rows"]), selection_rate=float(row["selection_rate"]),
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
    y, pred = (y == 1).astype(np.int64), (pred == 1).astype(np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figures = {
            "dpd": float(demographic_parity_difference(y, pred, sensitive_features=labels)),
            "dpr": float(demographic_parity_ratio(y, pred, sensitive_features=labels)),
            "eod": float(equalized_odds_difference(y, pred, sensitive_features=labels)),
            "eop": float(equal_opportunity_difference(y, pred, sensitive_features=labels)),
        }
        rates = _groups(y, pred, pd.Series(labels, name=attribute))
    issues = _issues(attribute, figures, limits)
    return FairnessResult(
        attribute=attribute, groups=rates,
        demographic_parity_difference=_finite(figures["dpd"]), demographic_parity_ratio=_finite(figures["dpr"]),
        equalized_odds_difference=_finite(figures["eod"]), equal_opportunity_difference=_finite(figures["eop"]),
        passed=not issues, issues=issues,
    )
