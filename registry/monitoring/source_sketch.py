"""A window's sketch of a prediction table that stays where it lives (PostgreSQL, Parquet, Spark).

The same numbers the registry's own sketches keep per bucket (counts on the reference's bins, present and missing
counts, sum, sum of squares, minimum, maximum), for one window, so every source feeds the same drift computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from registry.monitoring.binning import NumericBins, as_float_array, bin_counts, present_counts
from registry.monitoring.config import DriftThresholds
from registry.monitoring.drift import FeatureDrift, detect_drift_from_counts
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import SourceError  # noqa: F401  (re-exported for the sources)


@dataclass(slots=True)
class FeatureSummary:
    """One feature's counts on its reference bins and its moments (numeric features only)."""

    counts: np.ndarray
    n: int = 0
    n_missing: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float | None = None
    maximum: float | None = None

    def merge(self, other: FeatureSummary) -> None:
        self.counts = self.counts + other.counts
        self.n += other.n
        self.n_missing += other.n_missing
        self.total += other.total
        self.total_sq += other.total_sq
        self.minimum = _pick(min, self.minimum, other.minimum)
        self.maximum = _pick(max, self.maximum, other.maximum)

    def to_json(self) -> dict[str, object]:
        return {"counts": [int(c) for c in self.counts], "n": self.n, "n_missing": self.n_missing, "total": self.total,
                "total_sq": self.total_sq, "minimum": self.minimum, "maximum": self.maximum}


def _pick(how: object, a: float | None, b: float | None) -> float | None:
    if a is None or b is None:
        return a if b is None else b
    return float(how(a, b))  # type: ignore[operator]


@dataclass(slots=True)
class SourceSketch:
    """Per profiled feature, its summary over the window; `rows` counts the rows read."""

    rows: int = 0
    features: dict[str, FeatureSummary] = field(default_factory=dict)

    def merge(self, other: SourceSketch) -> SourceSketch:
        self.rows += other.rows
        for name, summary in other.features.items():
            if name in self.features:
                self.features[name].merge(summary)
            else:
                self.features[name] = summary
        return self

    def counts(self) -> dict[str, np.ndarray]:
        return {name: s.counts for name, s in self.features.items()}

    def drift(self, profile: ReferenceProfile, thresholds: DriftThresholds | None = None) -> list[FeatureDrift]:
        return detect_drift_from_counts(profile, self.counts(), thresholds)

    def to_json(self) -> dict[str, object]:
        return {"rows": self.rows, "features": {n: s.to_json() for n, s in self.features.items()}}


def empty_summary(feature: FeatureReference) -> FeatureSummary:
    return FeatureSummary(counts=np.zeros(feature.bins.size, dtype=np.int64))


def summarise(feature: FeatureReference, values: pa.ChunkedArray | pa.Array) -> FeatureSummary:
    """The summary of one column of values, binned exactly as the in-registry path bins them."""
    if feature.kind != "numeric":
        counts = bin_counts(feature.bins, values)
        return FeatureSummary(counts=counts, n=int(counts[:-1].sum()), n_missing=int(counts[-1]))
    assert isinstance(feature.bins, NumericBins)
    data = as_float_array(values)
    missing = np.isnan(data)
    n_missing = int(np.count_nonzero(missing))
    present = data[~missing] if n_missing else data  # one NaN pass serves the bins and the moments
    counts = present_counts(feature.bins, present, n_missing)
    if present.size == 0:
        return FeatureSummary(counts=counts, n_missing=n_missing)
    return FeatureSummary(
        counts=counts, n=int(present.size), n_missing=n_missing, total=float(present.sum()),
        total_sq=float(np.einsum("i,i->", present, present)), minimum=float(present.min()), maximum=float(present.max()),
    )


def sketch_table(profile: ReferenceProfile, columns: Mapping[str, str], table: pa.Table) -> SourceSketch:
    """Sketch an Arrow table whose column `columns[feature]` holds each profiled feature."""
    sketch = SourceSketch(rows=table.num_rows)
    for feature in profile.features:
        if feature.name in columns:
            sketch.features[feature.name] = summarise(feature, table.column(columns[feature.name]))
    return sketch


def from_aggregate_row(row: Sequence[object], features: Sequence[FeatureReference]) -> SourceSketch:
    """Read the one row an aggregate query returns: the row count, then per feature its four moments (numeric
    features only: sum, sum of squares, min, max) followed by one count per bin."""
    sketch = SourceSketch(rows=int(row[0]))  # type: ignore[call-overload]
    at = 1
    for feature in features:
        moments: Sequence[object] = ()
        if feature.kind == "numeric":
            moments, at = row[at:at + 4], at + 4
        counts = np.array(row[at:at + feature.bins.size], dtype=np.int64)
        at += feature.bins.size
        summary = FeatureSummary(counts=counts, n=int(counts[:-1].sum()), n_missing=int(counts[-1]))
        if moments and moments[0] is not None:
            total, total_sq, low, high = (float(m) for m in moments)  # type: ignore[arg-type]
            summary.total, summary.total_sq, summary.minimum, summary.maximum = total, total_sq, low, high
        sketch.features[feature.name] = summary
    return sketch
