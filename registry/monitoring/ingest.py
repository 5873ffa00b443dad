"""Ingest prediction logs and late ground truth (the function behind POST /registry/models/{name}/predictions)."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.db import session_scope
from registry.monitoring.alerts import AlertDispatcher
from registry.monitoring.expectations_alerts import dispatch_violations
from registry.monitoring.expectations import FeatureExpectation, check_versions, store_checks
from registry.monitoring.expectations_spec import version_expectations
from registry.monitoring.sketches import SketchConflict, SketchRow, fold_rows, sketch_values
from registry.monitoring.store import load_reference
from registry.monitoring.schemas import (  # noqa: F401  (re-exported: the ingest API's types)
    MAX_BATCH,
    FeatureValue,
    GroundTruthRecord,
    IngestResult,
    PredictionBatch,
    PredictionRecord,
)
from registry.monitoring.tables import GroundTruth, PredictionLog
from registry.monitoring.timeutil import bucket_start, as_utc, utc_now

def ingest_predictions(engine: Engine, model_name: str, batch: PredictionBatch, bucket_seconds: int = 3600,
                       expectations: dict[str, FeatureExpectation] | None = None,
                       alerts: AlertDispatcher | None = None) -> IngestResult:
    """Append the raw rows and fold them into the sketches of each version that has a reference registered; count
    and store the violations of `expectations` (the monitor config's) and of each version spec's, and alert on them
    through `alerts`."""
    for attempt in range(2):
        try:
            with session_scope(engine) as session:
                result = _ingest(session, model_name, batch, bucket_seconds)
                versions = [r.model_version for r in batch.records]
                effective = version_expectations(session, model_name, versions, expectations)
                if any(effective.values()):
                    result.data_quality = check_versions(effective, batch.records, bucket_seconds)
                    store_checks(session, model_name, result.data_quality, bucket_seconds)
            if alerts is not None:
                dispatch_violations(engine, alerts, model_name, result.data_quality)
            return result
        except SketchConflict:
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _ingest(session: Session, model_name: str, batch: PredictionBatch, bucket_seconds: int) -> IngestResult:
    if not batch.records:
        return IngestResult(stored=0, sketched=0)
    session.execute(insert(PredictionLog), [_row(model_name, r) for r in batch.records])
    by_version: dict[str, list[PredictionRecord]] = defaultdict(list)
    for record in batch.records:
        by_version[record.model_version].append(record)
    sketched, missing = 0, []
    for version, records in sorted(by_version.items()):
        reference = load_reference(session, model_name, version)
        if reference is None:
            missing.append(version)
            continue
        rows = [
            SketchRow(bucket_start(r.ts, bucket_seconds), sketch_values(r.features, r.prediction, r.score)) for r in records
        ]
        fold_rows(session, model_name, version, reference.profile, rows)
        sketched += len(rows)
    return IngestResult(stored=len(batch.records), sketched=sketched, versions_without_reference=missing)


def _row(model_name: str, record: PredictionRecord) -> dict[str, object]:
    numeric = isinstance(record.prediction, float | int) and not isinstance(record.prediction, bool)
    return {
        "model_name": model_name,
        "model_version": record.model_version,
        "ts": as_utc(record.ts),
        "request_id": record.request_id,
        "prediction_value": float(record.prediction) if numeric else None,  # type: ignore[arg-type]
        "prediction_label": None if numeric or record.prediction is None else str(record.prediction),
        "score": record.score,
        "latency_ms": record.latency_ms,
        "error": record.error,
        "features": record.features,
    }


def ingest_ground_truth(engine: Engine, model_name: str, records: list[GroundTruthRecord]) -> int:
    """Store actual outcomes (a later value for the same request replaces the earlier one); returns rows written."""
    received = utc_now()
    with session_scope(engine) as session:
        ids = [r.request_id for r in records]
        predicted_at = dict(
            session.exec(  # type: ignore[call-overload]
                select(PredictionLog.request_id, PredictionLog.ts).where(
                    PredictionLog.model_name == model_name, PredictionLog.request_id.in_(ids)  # type: ignore[union-attr]
                )
            ).all()
        )
        existing = {
            g.request_id: g
            for g in session.exec(
                select(GroundTruth).where(GroundTruth.model_name == model_name, GroundTruth.request_id.in_(ids))  # type: ignore[attr-defined]
            )
        }
        for record in records:
            arrived = as_utc(record.ts) if record.ts else received
            row = existing.get(record.request_id) or GroundTruth(model_name=model_name, request_id=record.request_id)
            numeric = isinstance(record.actual, float | int)
            row.actual_value = float(record.actual) if numeric else None
            row.actual_label = None if numeric else str(record.actual)
            row.received_at = arrived
            when = predicted_at.get(record.request_id)
            row.lag_seconds = (arrived - when).total_seconds() if when else None
            session.add(row)
            existing[record.request_id] = row
    return len(records)


def rebuild_sketches(engine: Engine, model_name: str, model_version: str, bucket_seconds: int = 3600, chunk: int = 20_000) -> int:
    """Recompute a version's sketches from its raw rows (after registering its reference late); returns rows folded."""
    from registry.monitoring.tables import FeatureSketch

    with session_scope(engine) as session:
        reference = load_reference(session, model_name, model_version)
        if reference is None:
            raise LookupError(f"no reference registered for {model_name!r} version {model_version!r}")
        for old in session.exec(
            select(FeatureSketch).where(FeatureSketch.model_name == model_name, FeatureSketch.model_version == model_version)
        ):
            session.delete(old)
        session.flush()
        statement = (
            select(PredictionLog)
            .where(PredictionLog.model_name == model_name, PredictionLog.model_version == model_version)
            .execution_options(yield_per=chunk)
        )
        folded, pending = 0, []
        for log in session.exec(statement):
            prediction = log.prediction_value if log.prediction_value is not None else log.prediction_label
            pending.append(SketchRow(bucket_start(log.ts, bucket_seconds), sketch_values(log.features, prediction, log.score)))
            if len(pending) >= chunk:
                fold_rows(session, model_name, model_version, reference.profile, pending)
                folded, pending = folded + len(pending), []
        if pending:
            fold_rows(session, model_name, model_version, reference.profile, pending)
            folded += len(pending)
    return folded
