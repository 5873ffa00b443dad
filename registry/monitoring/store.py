"""Reference registration and read access to what checks need (references, labelled pairs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, delete, select

from registry.db import session_scope
from registry.monitoring.binning import ColumnData, FeatureKind
from registry.monitoring.calibration import Calibrator
from registry.monitoring.metrics import validated_metric_names
from registry.monitoring.reference import PREDICTION_FEATURE, SCORE_FEATURE, ReferenceProfile, build_profile
from registry.monitoring.tables import CheckResult, FeatureSketch, GroundTruth, PredictionLog, ReferenceRecord
from registry.monitoring.timeutil import as_utc

from registry.monitoring.schemas import Task  # noqa: E402,F401  (one definition, light module)


@dataclass(frozen=True, slots=True)
class RegisteredReference:
    """A version's reference as the checks use it."""

    model_name: str
    model_version: str
    task: Task
    profile: ReferenceProfile
    validated_metrics: dict[str, float]
    calibrator: Calibrator | None


def register_reference(
    engine: Engine,
    model_name: str,
    model_version: str,
    features: Mapping[str, ColumnData],
    *,
    task: Task = "classification",
    predictions: ColumnData | None = None,
    scores: ColumnData | None = None,
    labels: ColumnData | None = None,
    validated_metrics: Mapping[str, float] | None = None,
    kinds: Mapping[str, FeatureKind] | None = None,
    n_bins: int = 10,
) -> RegisteredReference:
    """Profile a version's training/validation data and store it (replacing an earlier registration)."""
    validated = validated_metric_names(task, validated_metrics or {})
    columns: dict[str, ColumnData] = dict(features)
    if predictions is not None:
        columns[PREDICTION_FEATURE] = predictions
    if scores is not None:
        columns[SCORE_FEATURE] = scores
    chosen_kinds = dict(kinds or {})
    if task == "classification" and predictions is not None:
        chosen_kinds.setdefault(PREDICTION_FEATURE, "categorical")
    profile = build_profile(columns, chosen_kinds, n_bins=n_bins)
    calibrator = None
    if scores is not None and labels is not None and task == "classification":
        calibrator = Calibrator.fit(np.asarray(scores, dtype=np.float64), np.asarray(labels, dtype=np.float64))
    with session_scope(engine) as session:
        record = _find(session, model_name, model_version) or ReferenceRecord(model_name=model_name, model_version=model_version)
        if record.id is not None and record.profile != profile.to_json():
            _forget_drift(session, model_name, model_version)
        record.task = task
        record.profile = profile.to_json()
        record.validated_metrics = validated
        record.calibration = calibrator.to_json() if calibrator else {}
        session.add(record)
    return RegisteredReference(model_name, model_version, task, profile, dict(record.validated_metrics), calibrator)


def _forget_drift(session: Session, model_name: str, model_version: str) -> None:
    """A replaced reference has other features or bins: the sketches counted on the old bins and the drift
    measured against it no longer fit, so drift starts again from the next predictions."""
    for table in (FeatureSketch, CheckResult):
        statement = delete(table).where(col(table.model_name) == model_name, col(table.model_version) == model_version)
        if table is CheckResult:
            statement = statement.where(col(CheckResult.check).in_(["data_drift", "prediction_drift"]))
        session.exec(statement)  # type: ignore[call-overload]


def load_reference(session: Session, model_name: str, model_version: str) -> RegisteredReference | None:
    record = _find(session, model_name, model_version)
    return _to_registered(record) if record else None


def list_references(session: Session, model_name: str | None = None) -> list[RegisteredReference]:
    statement = select(ReferenceRecord).order_by(ReferenceRecord.model_name, ReferenceRecord.created_at)  # type: ignore[arg-type]
    if model_name is not None:
        statement = statement.where(ReferenceRecord.model_name == model_name)
    return [_to_registered(r) for r in session.exec(statement)]


def _find(session: Session, model_name: str, model_version: str) -> ReferenceRecord | None:
    statement = select(ReferenceRecord).where(
        ReferenceRecord.model_name == model_name, ReferenceRecord.model_version == model_version
    )
    return session.exec(statement).first()


def _to_registered(record: ReferenceRecord) -> RegisteredReference:
    calibrator = Calibrator.from_json(record.calibration) if record.calibration else None
    profile = ReferenceProfile.from_json(record.profile)
    return RegisteredReference(
        record.model_name, record.model_version, record.task, profile, dict(record.validated_metrics), calibrator  # type: ignore[arg-type]
    )


@dataclass(frozen=True, slots=True)
class WindowRows:
    """Predictions of a window with their ground truth where it arrived (labels NaN/None otherwise)."""

    ts: np.ndarray
    predictions: np.ndarray
    labels_text: list[str | None]
    scores: np.ndarray
    actuals: np.ndarray
    actual_labels: list[str | None]
    latency_ms: np.ndarray
    errors: np.ndarray
    lag_seconds: np.ndarray


def window_rows(session: Session, model_name: str, model_version: str, start: datetime, end: datetime) -> WindowRows:
    """Predictions in [start, end) left-joined to their ground truth (narrow columns only, never the features)."""
    start, end = as_utc(start), as_utc(end)
    statement = (
        select(
            PredictionLog.ts,
            PredictionLog.prediction_value,
            PredictionLog.prediction_label,
            PredictionLog.score,
            PredictionLog.latency_ms,
            PredictionLog.error,
            GroundTruth.actual_value,
            GroundTruth.actual_label,
            GroundTruth.lag_seconds,
        )
        .join(
            GroundTruth,
            (GroundTruth.model_name == PredictionLog.model_name) & (GroundTruth.request_id == PredictionLog.request_id),
            isouter=True,
        )
        .where(PredictionLog.model_name == model_name, PredictionLog.model_version == model_version)
        .where(PredictionLog.ts >= start, PredictionLog.ts < end)
        .order_by(PredictionLog.ts)  # type: ignore[arg-type]
    )
    rows = session.exec(statement).all()  # type: ignore[call-overload]

    def floats(i: int) -> np.ndarray:
        return np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=np.float64)

    return WindowRows(
        ts=np.array([r[0].replace(tzinfo=None) for r in rows], dtype="datetime64[us]"),
        predictions=floats(1),
        labels_text=[r[2] for r in rows],
        scores=floats(3),
        actuals=floats(6),
        actual_labels=[r[7] for r in rows],
        latency_ms=floats(4),
        errors=np.array([bool(r[5]) for r in rows], dtype=bool),
        lag_seconds=floats(8),
    )
