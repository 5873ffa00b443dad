"""Task metrics computed on many resamples at once (rows of a 2-D array), and their bootstrap intervals.

Point estimates are the same functions on a single row holding every sample, so the figure and its interval can
never disagree on a definition.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from registry.governance.measured import LOWER_IS_BETTER, MeasuredMetric, MetricName, Task
from registry.monitoring import metrics as monitoring_metrics
from registry.validation.data import EvalData

Figures = dict[MetricName, np.ndarray]
ECE_BINS = 10


def _ratio(num: np.ndarray, den: np.ndarray, empty: float = 0.0) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), empty)


def _prf(actual: np.ndarray, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    tp = (actual & predicted).sum(axis=1)
    fp, fn = (~actual & predicted).sum(axis=1), (actual & ~predicted).sum(axis=1)
    return _ratio(tp, tp + fp, np.nan), _ratio(tp, tp + fn, np.nan), _ratio(2 * tp, 2 * tp + fp + fn, np.nan)


def calibration_error(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Expected calibration error over equal-width score bins: sum over bins of |sum(score) - sum(label)| / n."""
    bins = np.clip((s * ECE_BINS).astype(np.int64), 0, ECE_BINS - 1)
    total = np.zeros(y.shape[0])
    for b in range(ECE_BINS):
        inside = bins == b
        total += np.abs((s * inside).sum(axis=1) - (y * inside).sum(axis=1))
    return total / y.shape[1]


def roc_auc(y: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Rank-sum AUC per row, ties counted half; NaN where a row holds a single class."""
    positives = y.sum(axis=1)
    negatives = y.shape[1] - positives
    ranks = rankdata(s, axis=1)
    auc = _ratio((ranks * y).sum(axis=1) - positives * (positives + 1) / 2, positives * negatives, np.nan)
    return np.where((positives > 0) & (negatives > 0), auc, np.nan)


def classification(y: np.ndarray, pred: np.ndarray, score: np.ndarray | None, classes: np.ndarray) -> Figures:
    """Binary (class 1 positive) or macro-averaged multi-class figures; AUC and calibration need binary scores."""
    out: Figures = {"accuracy": (y == pred).mean(axis=1)}
    binary = set(classes.tolist()) <= {0.0, 1.0}
    per_class = [_prf(y == c, pred == c) for c in ([1.0] if binary else classes)]
    with warnings.catch_warnings():  # a class absent from a resample leaves its figures undefined (NaN)
        warnings.simplefilter("ignore", RuntimeWarning)
        for i, name in enumerate(("precision", "recall", "f1")):
            out[name] = np.nanmean([figures[i] for figures in per_class], axis=0)  # type: ignore[index]
    if binary and score is not None:
        positive = (y == 1).astype(np.float64)
        out["roc_auc"] = roc_auc(positive, score)
        if np.all((score >= 0) & (score <= 1)):
            out["brier"] = ((score - positive) ** 2).mean(axis=1)
            out["ece"] = calibration_error(positive, score)
    return out


def regression(y: np.ndarray, pred: np.ndarray) -> Figures:
    error = pred - y
    nonzero = y != 0
    relative = np.abs(np.divide(error, y, out=np.zeros_like(error), where=nonzero))
    return {
        "rmse": np.sqrt((error**2).mean(axis=1)),
        "mae": np.abs(error).mean(axis=1),
        "mape": _ratio(relative.sum(axis=1), nonzero.sum(axis=1), np.nan),
    }


@dataclass(frozen=True, slots=True)
class Units:
    """What a bootstrap resamples: rows (classification, regression) or per-query figures (ranking)."""

    task: Task
    y: np.ndarray
    pred: np.ndarray
    score: np.ndarray | None
    classes: np.ndarray

    @property
    def size(self) -> int:
        return int(self.y.size)

    def take(self, index: np.ndarray) -> Units:
        score = None if self.score is None else self.score[index]
        return Units(self.task, self.y[index], self.pred[index], score, self.classes)

    def figures(self, index: np.ndarray) -> Figures:
        score = None if self.score is None else self.score[index]
        if self.task == "regression":
            return regression(self.y[index], self.pred[index])
        if self.task == "classification":
            return classification(self.y[index], self.pred[index], score, self.classes)
        return {"ndcg": self.y[index], "map": self.pred[index], "mrr": score}  # type: ignore[dict-item]


def units_of(data: EvalData, task: Task, cutoff: float) -> Units:
    if task == "ranking":
        return _ranking_units(data)
    pred = data.predictions
    if pred is None:
        assert data.scores is not None
        pred = data.scores if task == "regression" else (data.scores >= cutoff).astype(np.float64)
    classes = np.union1d(data.labels, pred) if task == "classification" else np.empty(0)
    return Units(task, data.labels, pred, data.scores if task == "classification" else None, classes)


def _ranking_units(data: EvalData) -> Units:
    assert data.scores is not None and data.queries is not None
    order = np.lexsort((-data.scores, data.queries))
    _, starts = np.unique(data.queries[order], return_index=True)
    lists = np.split(data.labels[order], starts[1:])
    per_query = np.array([[v for _, v in sorted(monitoring_metrics.ranking([rel]).items())] for rel in lists])
    map_, mrr, ndcg = per_query.T  # sorted names: map, mrr, ndcg
    return Units("ranking", ndcg, map_, mrr, np.empty(0))


def _mean_figures(figures: Figures) -> Figures:
    return {name: values.mean(axis=-1) if values.ndim == 2 else values for name, values in figures.items()}


def estimate(units: Units, thresholds: dict[MetricName, float], resamples: int, cap: int,
             rng: np.random.Generator) -> list[MeasuredMetric]:
    """Point figures with 95% percentile bootstrap intervals. Above `cap` units the resamples hold `cap` units and
    the interval's distance to the figure is scaled by sqrt(cap / n) (m-out-of-n bootstrap), bounding the cost."""
    n = units.size
    if n == 0:
        return []
    point = _mean_figures(units.figures(np.arange(n)[None, :]))
    boot: Figures = {}
    scale = 1.0
    if resamples and n > 1:
        m = min(n, cap)
        boot = _mean_figures(units.figures(rng.integers(0, n, size=(resamples, m))))
        scale = np.sqrt(m / n)
    result = []
    for name, values in point.items():
        value = float(values[0])
        low = high = None
        if name in boot and np.isfinite(value) and np.isfinite(boot[name]).any():
            q_low, q_high = np.nanpercentile(boot[name], [2.5, 97.5])
            low, high = float(value + scale * (q_low - value)), float(value + scale * (q_high - value))
        result.append(_measured(name, value, low, high, thresholds.get(name)))
    return result


def _measured(name: MetricName, value: float, low: float | None, high: float | None,
              threshold: float | None) -> MeasuredMetric:
    finite = np.isfinite(value)
    passed = None
    if threshold is not None and finite:  # an undefined figure (no positives in a slice...) is shown, not judged
        passed = bool(value <= threshold if name in LOWER_IS_BETTER else value >= threshold)
    return MeasuredMetric(name=name, value=float(value) if finite else None, ci_low=low, ci_high=high,
                          threshold=threshold, passed=passed)
