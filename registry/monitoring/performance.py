"""Task and operational metrics of one window: measured on ground truth, or estimated (CBPE) without it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from registry.monitoring import metrics
from registry.monitoring.cbpe import estimate
from registry.monitoring.sketches import category_text
from registry.monitoring.store import RegisteredReference, WindowRows


@dataclass(frozen=True, slots=True)
class WindowPerformance:
    """Task metrics (flagged when estimated), operational metrics, and the counts behind them."""

    task_metrics: dict[str, float]
    estimated: bool
    operational: dict[str, float]
    rows: int
    labelled: int
    median_label_lag_seconds: float | None


def window_performance(reference: RegisteredReference, rows: WindowRows, window_seconds: float, min_labelled: int) -> WindowPerformance:
    labelled = ~np.isnan(rows.actuals) | np.array([a is not None for a in rows.actual_labels], dtype=bool)
    n_labelled = int(labelled.sum())
    task: dict[str, float] = {}
    estimated = False
    if n_labelled >= min_labelled:
        task = _measured(reference, rows, labelled)
    elif reference.task == "classification" and np.any(~np.isnan(rows.scores)):
        task, estimated = estimate(rows.scores, reference.calibrator).as_mapping(), True
    lags = rows.lag_seconds[~np.isnan(rows.lag_seconds)]
    return WindowPerformance(
        task_metrics=task,
        estimated=estimated,
        operational=metrics.operational(rows.latency_ms, rows.errors, window_seconds),
        rows=int(rows.errors.size),
        labelled=n_labelled,
        median_label_lag_seconds=float(np.median(lags)) if lags.size else None,
    )


def _measured(reference: RegisteredReference, rows: WindowRows, labelled: np.ndarray) -> dict[str, float]:
    idx = np.flatnonzero(labelled)
    if reference.task == "regression":
        return metrics.regression(rows.actuals[idx], rows.predictions[idx])
    predicted = [_text(rows.predictions[i], rows.labels_text[i]) for i in idx]
    actual = [_text(rows.actuals[i], rows.actual_labels[i]) for i in idx]
    if set(predicted) | set(actual) <= {"0", "1"}:
        scores = rows.scores[idx]
        has_scores = not np.any(np.isnan(scores))
        return metrics.classification(
            np.array(actual, dtype=int), np.array(predicted, dtype=int), scores if has_scores else None
        )
    return metrics.classification(np.array(actual, dtype=object), np.array(predicted, dtype=object))


def _text(value: float, label: str | None) -> str:
    return label if label is not None else (category_text(float(value)) or "")
