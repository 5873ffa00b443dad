"""Performance decay: a metric's relative degradation against the value the version was validated at."""

from __future__ import annotations

import math
from dataclasses import dataclass

from registry.monitoring.config import DecayThresholds
from registry.monitoring.levels import Level
from registry.monitoring.metrics import LOWER_IS_BETTER


@dataclass(frozen=True, slots=True)
class Decay:
    """How much worse `metric` is than validated (`degradation` > 0 means worse), and the resulting level."""

    metric: str
    current: float
    validated: float
    degradation: float
    level: Level
    estimated: bool = False


def degradation(metric: str, current: float, validated: float) -> float:
    """Relative change in the bad direction: 0.1 means 10% worse, negative means better."""
    if validated == 0:
        return 0.0 if current == 0 else math.inf
    change = (current - validated) / abs(validated)
    return change if metric in LOWER_IS_BETTER else -change


def decay_level(metric: str, current: float, validated: float, thresholds: DecayThresholds, estimated: bool = False) -> Decay:
    """Info below `warning`, Warning up to `critical`, Critical beyond (Emergency is decided by `emergency`)."""
    value = degradation(metric, current, validated)
    level = Level.INFO if math.isnan(current) else level_for(value, thresholds)
    return Decay(metric, current, validated, value, level, estimated)


def level_for(relative_degradation: float, thresholds: DecayThresholds) -> Level:
    # Round away float noise so that exactly 10% worse (0.72 vs 0.80) is 10%, not 10.0000001%.
    relative_degradation = round(relative_degradation, 9)
    if relative_degradation < thresholds.warning:
        return Level.INFO
    return Level.WARNING if relative_degradation <= thresholds.critical else Level.CRITICAL


def emergency(
    rows: int,
    error_rate: float | None,
    expects_traffic: bool,
    thresholds: DecayThresholds,
    error_limit: float | None = None,
) -> str | None:
    """Why the model does not work at all (no predictions, or mostly errors), or None."""
    if rows == 0 and expects_traffic:
        return "no predictions in the window"
    limit = thresholds.emergency_error_rate if error_limit is None else error_limit
    if error_rate is not None and error_rate >= limit:
        return f"error rate {error_rate:.1%} >= {limit:.0%}"
    return None


def collapse(decays: list[Decay], drop: float | None) -> str | None:
    """The first measured metric that fell by `drop` or more against its validated value (estimates never count:
    an automatic rollback needs ground truth), or None."""
    if drop is None:
        return None
    for item in decays:
        if not item.estimated and not math.isnan(item.current) and round(item.degradation, 9) >= drop:
            return (
                f"{item.metric} {item.current:.4f} is {item.degradation:.1%} worse than validated "
                f"{item.validated:.4f} (emergency at {drop:.0%})"
            )
    return None
