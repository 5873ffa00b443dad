"""Fold batches of predictions into per-bucket feature sketches, and read them back summed over a window."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from registry.monitoring.binning import bin_counts
from registry.monitoring.reference import PREDICTION_FEATURE, SCORE_FEATURE, FeatureReference, ReferenceProfile
from registry.monitoring.tables import FeatureSketch
from registry.monitoring.timeutil import as_utc

Value = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class SketchRow:
    """What one row contributes to the sketches: its features plus the prediction and score pseudo-features."""

    bucket: datetime
    values: Mapping[str, Value]


@dataclass(slots=True)
class _Delta:
    n: int
    n_missing: int
    total: float
    total_sq: float
    minimum: float | None
    maximum: float | None
    counts: np.ndarray


def sketch_values(features: Mapping[str, Value], prediction: Value, score: float | None) -> dict[str, Value]:
    return {**features, PREDICTION_FEATURE: prediction, SCORE_FEATURE: score}


def fold_rows(session: Session, model_name: str, model_version: str, profile: ReferenceProfile, rows: Sequence[SketchRow]) -> None:
    """Add the rows' counts and moments to the stored sketches of their buckets (one upsert per bucket/feature)."""
    deltas: dict[tuple[datetime, str], _Delta] = {}
    for bucket in sorted({r.bucket for r in rows}):
        members = [r.values for r in rows if r.bucket == bucket]
        for feature in profile.features:
            deltas[(bucket, feature.name)] = _delta(feature, [m.get(feature.name) for m in members])
    _upsert(session, model_name, model_version, deltas)


def _delta(feature: FeatureReference, values: list[Value]) -> _Delta:
    if feature.kind == "numeric":
        data = np.array([_as_float(v) for v in values], dtype=np.float64)
        present = data[~np.isnan(data)]
        has = present.size > 0
        return _Delta(
            n=int(present.size),
            n_missing=int(data.size - present.size),
            total=float(present.sum()),
            total_sq=float(np.square(present).sum()),
            minimum=float(present.min()) if has else None,
            maximum=float(present.max()) if has else None,
            counts=bin_counts(feature.bins, data),
        )
    texts = [category_text(v) for v in values]
    missing = sum(t is None for t in texts)
    return _Delta(len(texts) - missing, missing, 0.0, 0.0, None, None, bin_counts(feature.bins, texts))


def category_text(value: Value) -> str | None:
    """The text of a categorical value, spelled as Arrow casts it (1.0 -> "1", True -> "true")."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _as_float(value: Value) -> float:
    if value is None or isinstance(value, str) and value.strip() == "":
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _upsert(session: Session, model_name: str, model_version: str, deltas: Mapping[tuple[datetime, str], _Delta]) -> None:
    buckets = sorted({b for b, _ in deltas})
    statement = (
        select(FeatureSketch)
        .where(FeatureSketch.model_name == model_name, FeatureSketch.model_version == model_version)
        .where(FeatureSketch.bucket_start.in_(buckets))  # type: ignore[attr-defined]
        .with_for_update()
    )
    existing = {(s.bucket_start, s.feature): s for s in session.exec(statement)}  # type: ignore[attr-defined]
    for (bucket, feature), delta in deltas.items():
        sketch = existing.get((bucket, feature))
        if sketch is None:
            sketch = FeatureSketch(model_name=model_name, model_version=model_version, bucket_start=bucket, feature=feature)
            sketch.counts = [0] * delta.counts.size
            session.add(sketch)
        _merge(sketch, delta)
    try:
        session.flush()
    except IntegrityError as exc:
        # Another writer created the same bucket first; the caller retries the batch once.
        raise SketchConflict(f"sketch bucket of {model_name!r}@{model_version!r} created concurrently") from exc


def _merge(sketch: FeatureSketch, delta: _Delta) -> None:
    old = np.asarray(sketch.counts, dtype=np.int64)
    if old.size != delta.counts.size:
        raise ValueError(f"sketch of feature {sketch.feature!r} has {old.size} bins, the reference has {delta.counts.size}")
    sketch.counts = [int(c) for c in old + delta.counts]  # a new list, so the JSON column is marked dirty
    sketch.n += delta.n
    sketch.n_missing += delta.n_missing
    sketch.total += delta.total
    sketch.total_sq += delta.total_sq
    if delta.minimum is not None:
        sketch.minimum = delta.minimum if sketch.minimum is None else min(sketch.minimum, delta.minimum)
    if delta.maximum is not None:
        sketch.maximum = delta.maximum if sketch.maximum is None else max(sketch.maximum, delta.maximum)


class SketchConflict(RuntimeError):
    """Two writers inserted the same new sketch row; retrying the batch resolves it."""


@dataclass(frozen=True, slots=True)
class WindowCounts:
    """Sketches summed over a window: counts per feature, and the number of rows seen."""

    counts: dict[str, np.ndarray]
    rows: int
    means: dict[str, float]


def window_counts(session: Session, model_name: str, model_version: str, start: datetime, end: datetime) -> WindowCounts:
    """Sum the sketches of buckets starting in [start, end)."""
    start, end = as_utc(start), as_utc(end)
    statement = (
        select(FeatureSketch)
        .where(FeatureSketch.model_name == model_name, FeatureSketch.model_version == model_version)
        .where(FeatureSketch.bucket_start >= start, FeatureSketch.bucket_start < end)
    )
    counts: dict[str, np.ndarray] = {}
    sums: dict[str, list[float]] = {}
    for sketch in session.exec(statement):  # type: ignore[attr-defined]
        current = np.asarray(sketch.counts, dtype=np.int64)
        counts[sketch.feature] = counts[sketch.feature] + current if sketch.feature in counts else current
        acc = sums.setdefault(sketch.feature, [0.0, 0.0])
        acc[0] += sketch.total
        acc[1] += sketch.n
    rows = int(counts[PREDICTION_FEATURE].sum()) if PREDICTION_FEATURE in counts else 0
    means = {f: total / n for f, (total, n) in sums.items() if n > 0}
    return WindowCounts(counts=counts, rows=rows, means=means)


def bucket_series(session: Session, model_name: str, model_version: str, feature: str) -> Iterable[FeatureSketch]:
    """All sketches of one feature in time order (for reports)."""
    statement = (
        select(FeatureSketch)
        .where(FeatureSketch.model_name == model_name, FeatureSketch.model_version == model_version)
        .where(FeatureSketch.feature == feature)
        .order_by(FeatureSketch.bucket_start)  # type: ignore[arg-type]
    )
    return list(session.exec(statement))  # type: ignore[attr-defined]
