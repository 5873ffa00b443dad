"""Per-feature data drift: compare current counts with the reference counts on the same bins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np

from registry.monitoring.binning import ColumnData, bin_counts
from registry.monitoring.config import DriftThresholds
from registry.monitoring.levels import Level
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.stats import binned_ks, chi_square, cramers_v, psi

Severity = Literal["none", "moderate", "significant"]


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    """The verdict for one feature; `statistic` is KS D (numeric) or Cramér's V (categorical)."""

    feature: str
    kind: str
    psi: float
    statistic: float
    statistic_name: str
    p_value: float
    n_reference: int
    n_current: int
    severity: Severity
    level: Level
    current_counts: tuple[int, ...]

    @property
    def drifted(self) -> bool:
        return self.severity != "none"


def compare_feature(reference: FeatureReference, current: np.ndarray, thresholds: DriftThresholds) -> FeatureDrift:
    """Decide drift on effect size (PSI and KS D / Cramér's V) with the p-value as a guard."""
    ref = np.asarray(reference.counts, dtype=np.int64)
    cur = np.asarray(current, dtype=np.int64)
    if ref.shape != cur.shape:
        raise ValueError(f"feature {reference.name!r}: {cur.size} current bins for {ref.size} reference bins")
    value = psi(ref, cur, thresholds.epsilon)
    if reference.kind == "numeric":
        statistic, p_value = binned_ks(ref, cur)
        # The missing bin is outside the KS CDF; chi-square covers a jump in missing values.
        p_value = min(p_value, chi_square(ref, cur)[1])
        name, effect_threshold = "ks_d", thresholds.ks_d
    else:
        _, p_value = chi_square(ref, cur)
        statistic, name, effect_threshold = cramers_v(ref, cur), "cramers_v", thresholds.cramers_v
    severity = _severity(value, statistic, effect_threshold, p_value, int(cur.sum()), thresholds)
    level = {"none": Level.NONE, "moderate": thresholds.moderate_level, "significant": thresholds.significant_level}
    return FeatureDrift(
        feature=reference.name,
        kind=reference.kind,
        psi=value,
        statistic=statistic,
        statistic_name=name,
        p_value=p_value,
        n_reference=int(ref.sum()),
        n_current=int(cur.sum()),
        severity=severity,
        level=level[severity],
        current_counts=tuple(int(c) for c in cur),
    )


def _severity(
    value: float, statistic: float, effect_threshold: float, p_value: float, n_current: int, t: DriftThresholds
) -> Severity:
    if n_current < t.min_samples or p_value >= t.alpha:
        return "none"
    if value >= t.psi_significant:
        return "significant"
    if value >= t.psi_moderate or statistic >= effect_threshold:
        return "moderate"
    return "none"


def detect_drift(
    profile: ReferenceProfile, columns: Mapping[str, ColumnData], thresholds: DriftThresholds | None = None
) -> list[FeatureDrift]:
    """Drift of every profiled feature present in `columns` (raw values, binned here in one vectorised pass each)."""
    chosen = thresholds or DriftThresholds()
    return [
        compare_feature(feature, bin_counts(feature.bins, columns[feature.name]), chosen)
        for feature in profile.features
        if feature.name in columns
    ]


def detect_drift_from_counts(
    profile: ReferenceProfile, counts: Mapping[str, np.ndarray], thresholds: DriftThresholds | None = None
) -> list[FeatureDrift]:
    """Drift of every profiled feature from pre-aggregated counts (stored sketches)."""
    chosen = thresholds or DriftThresholds()
    return [compare_feature(f, counts[f.name], chosen) for f in profile.features if f.name in counts]
