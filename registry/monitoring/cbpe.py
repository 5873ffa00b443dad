"""Confidence-based performance estimation (in the spirit of NannyML's CBPE) for binary classifiers without labels.

With calibrated probabilities p_i, each prediction is right with probability p_i (predicted positive) or
1 - p_i (predicted negative), so the expected confusion matrix is a sum of probabilities, and the expected
ROC curve follows from the expected true/false positives above each score. The numbers are estimates: they
hold only while calibration holds, i.e. under covariate shift without concept drift.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.monitoring.calibration import Calibrator


@dataclass(frozen=True, slots=True)
class EstimatedMetrics:
    """Expected classification metrics; `estimated` is always True so reports can label them."""

    accuracy: float
    precision: float
    recall: float
    f1: float
    roc_auc: float
    n: int
    estimated: bool = True

    def as_mapping(self) -> dict[str, float]:
        return {"accuracy": self.accuracy, "precision": self.precision, "recall": self.recall, "f1": self.f1, "roc_auc": self.roc_auc}


def estimate(scores: np.ndarray, calibrator: Calibrator | None = None, threshold: float = 0.5) -> EstimatedMetrics:
    """Expected metrics of thresholding `scores` at `threshold`, probabilities from `calibrator` (or the raw scores)."""
    raw = np.asarray(scores, dtype=np.float64)
    raw = raw[~np.isnan(raw)]
    if raw.size == 0:
        raise ValueError("cannot estimate performance from zero scores")
    p = np.clip(calibrator.apply(raw) if calibrator else raw, 0.0, 1.0)
    positive = raw >= threshold
    tp, fp = p[positive].sum(), (1 - p[positive]).sum()
    fn, tn = p[~positive].sum(), (1 - p[~positive]).sum()
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return EstimatedMetrics(
        accuracy=float((tp + tn) / raw.size),
        precision=precision,
        recall=recall,
        f1=_ratio(2 * precision * recall, precision + recall),
        roc_auc=_expected_auc(raw, p),
        n=int(raw.size),
    )


def _expected_auc(raw: np.ndarray, p: np.ndarray) -> float:
    order = np.argsort(-raw, kind="stable")
    pos, neg = p[order], 1 - p[order]
    tpr = np.concatenate([[0.0], np.cumsum(pos)]) / max(pos.sum(), 1e-12)
    fpr = np.concatenate([[0.0], np.cumsum(neg)]) / max(neg.sum(), 1e-12)
    return float(np.trapezoid(tpr, fpr))


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator > 0 else 0.0
