"""Concept drift on a series of windowed metric values (labels needed), classified by the shape of the decay.

The series is first turned into degradation against the validated value (`decay.degradation`, > 0 is worse).
Shapes, checked in this order on the series seen so far:

- recurring: after removing a linear trend, the autocorrelation at some period P >= 2 reaches
  `recurring_min_acf`, at least two full periods were seen, and the mean seasonal profile swings by at least
  `recurring_min_amplitude` (performance dips and recovers on a cycle, e.g. weekends or month ends);
- sudden: one step between consecutive windows of at least `sudden_drop`, after which performance stays down;
- incremental: a significant upward trend of degradation (OLS slope, p < `trend_alpha`) reaching
  `trend_total_drop`, where the windows since the decay began stay close to a straight line (spread around it
  at most `max_roughness` times the drop along it): a steady slide through intermediate concepts;
- gradual: the same trend, but the windows swing between the old and the new level (the concepts take turns,
  the new one more and more often), so the spread around the line is large.

`detect` replays the series window by window, so a drift is never reported before the window that shows it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

from registry.monitoring.config import ConceptDriftThresholds, DecayThresholds
from registry.monitoring.decay import degradation, level_for
from registry.monitoring.levels import Level

DriftKind = Literal["none", "sudden", "gradual", "incremental", "recurring"]


@dataclass(frozen=True, slots=True)
class ConceptDrift:
    """The shape of the drift, the first window showing any drift, the first showing this shape, and the level."""

    kind: DriftKind
    detected_at: int | None
    kind_detected_at: int | None
    level: Level
    period: int | None = None


def classify(degraded: np.ndarray, t: ConceptDriftThresholds) -> tuple[DriftKind, int | None]:
    """The drift shape of a whole degradation series (and the period when recurring)."""
    if degraded.size < t.min_windows:
        return "none", None
    period = _recurring_period(degraded, t)
    if period is not None:
        return "recurring", period
    if _sudden(degraded, t):
        return "sudden", None
    start = _trend_start(degraded, t)
    if start is None:
        return "none", None
    return ("incremental" if _roughness(degraded[start:]) <= t.max_roughness else "gradual"), None


def _roughness(segment: np.ndarray) -> float:
    """Spread around the segment's straight line, relative to the drop along it (0 = a clean ramp)."""
    if segment.size < 3:
        return 0.0
    x = np.arange(segment.size, dtype=np.float64)
    fitted = np.polyval(np.polyfit(x, segment, 1), x)
    drop = float(fitted[-1] - fitted[0])
    return float(np.std(segment - fitted)) / drop if drop > 0 else float("inf")


def detect(
    values: Sequence[float],
    validated: float,
    metric: str,
    thresholds: ConceptDriftThresholds | None = None,
    decay: DecayThresholds | None = None,
) -> ConceptDrift:
    """Replay the windows in order; report the final shape and when drift (and that shape) first showed."""
    t, d = thresholds or ConceptDriftThresholds(), decay or DecayThresholds()
    degraded = np.array([degradation(metric, v, validated) for v in values], dtype=np.float64)
    kinds = [classify(degraded[: i + 1], t) for i in range(degraded.size)]
    final, period = kinds[-1] if kinds else ("none", None)
    if final == "none":
        return ConceptDrift("none", None, None, Level.NONE)
    first_any = next(i for i, (kind, _) in enumerate(kinds) if kind != "none")
    first_kind = next(i for i, (kind, _) in enumerate(kinds) if kind == final)
    worst = float(np.max(degraded[-period:])) if period else float(np.mean(degraded[-2:]))
    level = level_for(worst, d)
    return ConceptDrift(final, first_any, first_kind, level, period)


def _recurring_period(degraded: np.ndarray, t: ConceptDriftThresholds) -> int | None:
    n = degraded.size
    x = np.arange(n, dtype=np.float64)
    residual = degraded - np.polyval(np.polyfit(x, degraded, 1), x)
    centred = residual - residual.mean()
    variance = float(np.dot(centred, centred))
    if variance <= 1e-12:
        return None
    best, best_acf = None, t.recurring_min_acf
    for period in range(2, n // 2 + 1):
        acf = float(np.dot(centred[:-period], centred[period:])) / variance * n / (n - period)
        if acf >= best_acf:
            best, best_acf = period, acf
    if best is None:
        return None
    cycles = n // best
    profile = residual[n - cycles * best :].reshape(cycles, best).mean(axis=0)
    return best if float(np.ptp(profile)) >= t.recurring_min_amplitude else None


def _sudden(degraded: np.ndarray, t: ConceptDriftThresholds) -> bool:
    steps = np.diff(degraded)
    jump = int(np.argmax(steps)) + 1
    if steps[jump - 1] < t.sudden_drop:
        return False
    before, after = degraded[:jump], degraded[jump:]
    # The level must hold after the jump (a dip that recovers is not a sudden drift) and be flat before it.
    stays = float(np.min(after)) >= float(np.mean(before)) + t.sudden_drop / 2
    flat_before = float(np.ptp(before)) < t.sudden_drop
    return stays and flat_before


def _trend_start(degraded: np.ndarray, t: ConceptDriftThresholds) -> int | None:
    n = degraded.size
    if float(np.mean(degraded[-2:])) < t.trend_total_drop:
        return None
    x = np.arange(n, dtype=np.float64)
    slope, intercept = np.polyfit(x, degraded, 1)
    residual = degraded - (slope * x + intercept)
    dof = n - 2
    se = math.sqrt(float(np.dot(residual, residual)) / dof / float(np.sum((x - x.mean()) ** 2))) if dof > 0 else 0.0
    if slope <= 0:
        return None
    p_value = 2 * float(special.stdtr(dof, -slope / se)) if se > 0 else 0.0
    if p_value >= t.trend_alpha:
        return None
    # The decay began at the last window that was still close to the validated level.
    calm = np.flatnonzero(degraded < t.trend_total_drop / 2)
    return int(calm[-1]) if calm.size else 0

