"""Concept drift shapes, decay levels, task metrics and confidence-based estimation."""

from __future__ import annotations

import numpy as np
import pytest

from registry.monitoring import metrics
from registry.monitoring.calibration import Calibrator
from registry.monitoring.cbpe import estimate
from registry.monitoring.concept import detect
from registry.monitoring.config import DecayThresholds
from registry.monitoring.decay import decay_level, emergency
from registry.monitoring.levels import Level

BASE, N = 0.90, 36


def _series(kind: str, seed: int) -> tuple[np.ndarray, int]:
    """A weekly accuracy series with the given drift injected at the returned window."""
    rng = np.random.default_rng(seed)
    s = BASE + rng.normal(0, 0.004, N)
    start = 18
    if kind == "sudden":
        s[start:] -= 0.12
    elif kind == "incremental":
        s[start:] -= np.linspace(0.006, 0.006 * (N - start), N - start)
    elif kind == "gradual":
        pattern = [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1]
        s[start:] -= 0.12 * np.array(pattern[: N - start])
    elif kind == "recurring":
        start = 0
        s -= 0.10 * (np.arange(N) % 6 >= 4)
    return s, start


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("kind", "level"),
    [("sudden", Level.CRITICAL), ("incremental", Level.CRITICAL), ("gradual", Level.CRITICAL), ("recurring", Level.CRITICAL)],
)
def test_each_drift_shape_is_detected_and_not_before(kind: str, level: Level, seed: int) -> None:
    series, start = _series(kind, seed)
    result = detect(series.tolist(), BASE, "accuracy")
    assert result.kind == kind
    assert result.level == level
    assert result.detected_at is not None and result.detected_at >= start
    assert result.kind_detected_at is not None and result.kind_detected_at >= result.detected_at
    assert detect(series[:start].tolist() or [BASE], BASE, "accuracy").kind == "none"
    if kind == "sudden":
        assert result.detected_at == start
    if kind == "recurring":
        assert result.period == 6


@pytest.mark.parametrize("seed", range(8))
def test_stationary_noise_is_not_concept_drift(seed: int) -> None:
    rng = np.random.default_rng(seed)
    assert detect((BASE + rng.normal(0, 0.01, N)).tolist(), BASE, "accuracy").kind == "none"


def test_lower_is_better_metrics_drift_upwards() -> None:
    series = [2.0] * 10 + [2.4] * 6
    result = detect(series, 2.0, "rmse")
    assert (result.kind, result.detected_at, result.level) == ("sudden", 10, Level.CRITICAL)


@pytest.mark.parametrize(
    ("metric", "current", "validated", "level"),
    [
        ("f1", 0.80, 0.80, Level.INFO),
        ("f1", 0.77, 0.80, Level.INFO),  # 3.75% worse
        ("f1", 0.75, 0.80, Level.WARNING),  # 6.25%
        ("f1", 0.72, 0.80, Level.WARNING),  # 10% exactly
        ("f1", 0.70, 0.80, Level.CRITICAL),  # 12.5%
        ("f1", 0.90, 0.80, Level.INFO),  # better
        ("rmse", 10.4, 10.0, Level.INFO),
        ("rmse", 10.8, 10.0, Level.WARNING),
        ("rmse", 12.0, 10.0, Level.CRITICAL),
        ("latency_p95", 130.0, 100.0, Level.CRITICAL),
        ("ndcg", 0.60, 0.64, Level.WARNING),
    ],
)
def test_decay_levels(metric: str, current: float, validated: float, level: Level) -> None:
    assert decay_level(metric, current, validated, DecayThresholds()).level == level


@pytest.mark.parametrize(
    ("rows", "error_rate", "expects", "emergency_expected"),
    [(0, None, True, True), (0, None, False, False), (100, 0.6, False, True), (100, 0.1, True, False)],
)
def test_emergency(rows: int, error_rate: float | None, expects: bool, emergency_expected: bool) -> None:
    assert (emergency(rows, error_rate, expects, DecayThresholds()) is not None) == emergency_expected


def test_classification_metrics() -> None:
    actual = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    predicted = np.array([1, 1, 0, 0, 0, 1, 1, 0])
    scores = np.array([0.9, 0.8, 0.4, 0.2, 0.1, 0.6, 0.7, 0.3])
    result = metrics.classification(actual, predicted, scores)
    assert result["accuracy"] == pytest.approx(6 / 8)
    assert result["precision"] == pytest.approx(3 / 4) and result["recall"] == pytest.approx(3 / 4)
    assert result["f1"] == pytest.approx(0.75)
    assert result["roc_auc"] == pytest.approx(15 / 16)
    multi = metrics.classification(np.array(["a", "b", "c", "a"]), np.array(["a", "b", "b", "a"]))
    assert multi["accuracy"] == 0.75 and multi["recall"] == pytest.approx((1 + 1 + 0) / 3)


def test_regression_ranking_and_operational_metrics() -> None:
    reg = metrics.regression(np.array([1.0, 2.0, 0.0]), np.array([2.0, 2.0, 1.0]))
    assert reg == pytest.approx({"rmse": np.sqrt(2 / 3), "mae": 2 / 3, "mape": 0.5})
    rank = metrics.ranking([[0, 1, 0], [1, 0, 0]])
    assert rank["mrr"] == pytest.approx(0.75)
    assert rank["map"] == pytest.approx(0.75)
    assert rank["ndcg"] == pytest.approx((1 / np.log2(3) + 1) / 2)
    ops = metrics.operational(np.arange(1, 101, dtype=float), np.array([True] * 5 + [False] * 95), 50.0)
    assert ops["error_rate"] == 0.05 and ops["throughput"] == 2.0
    assert ops["latency_p50"] == pytest.approx(50.5) and ops["latency_p99"] == pytest.approx(99.01)


def test_cbpe_estimates_close_to_the_truth_without_labels() -> None:
    rng = np.random.default_rng(5)
    ref_scores = rng.beta(2, 2, 20_000)
    ref_labels = (rng.random(20_000) < ref_scores ** 1.5).astype(float)  # scores are miscalibrated on purpose
    calibrator = Calibrator.fit(ref_scores, ref_labels)
    cur_scores = rng.beta(3, 2, 20_000)  # covariate shift towards high scores
    cur_labels = (rng.random(20_000) < cur_scores ** 1.5).astype(int)
    truth = metrics.classification(cur_labels, (cur_scores >= 0.5).astype(int), cur_scores)
    estimated = estimate(cur_scores, calibrator)
    assert estimated.estimated
    for name, value in estimated.as_mapping().items():
        assert value == pytest.approx(truth[name], abs=0.02), name
    raw = estimate(cur_scores)  # uncalibrated scores mislead the estimate
    assert abs(raw.accuracy - truth["accuracy"]) > abs(estimated.accuracy - truth["accuracy"])
