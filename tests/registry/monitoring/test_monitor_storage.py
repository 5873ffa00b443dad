"""Storage layer on SQLite and PostgreSQL: reference registration, ingest, sketches, ground truth, a full check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from monitor_synth import START, prediction_batch, reference_columns
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.db import session_scope
from registry.monitoring.config import MonitorConfig, TierSchedule
from registry.monitoring.ingest import PredictionBatch, ingest_ground_truth, ingest_predictions, rebuild_sketches
from registry.monitoring.levels import Level
from registry.monitoring.runner import MonitorContext, run_check
from registry.monitoring.schedule import run_due
from registry.monitoring.sketches import window_counts
from registry.monitoring.store import load_reference, register_reference
from registry.monitoring.tables import AlertRecord, FeatureSketch, GroundTruth, PredictionLog

pytestmark = pytest.mark.timeout(60)


def _register(engine: Engine, version: str = "1") -> None:
    ref = reference_columns(20_000, seed=1)
    register_reference(
        engine, "churn", version, {"x": ref["x"], "y": ref["y"], "colour": ref["colour"]},
        predictions=(ref["score"] >= 0.5).astype(int), scores=ref["score"], labels=ref["label"],
        validated_metrics={"accuracy": 0.80, "roc_auc": 0.85},
    )


def test_reference_round_trip(engine: Engine) -> None:
    _register(engine)
    with session_scope(engine) as session:
        reference = load_reference(session, "churn", "1")
    assert reference is not None
    assert reference.profile.names == ["x", "y", "colour", "__prediction__", "__score__"]
    assert reference.profile.feature("colour").bins.labels()[:4] == ["red", "green", "blue", "black"]
    assert sum(reference.profile.feature("x").counts) == 20_000
    assert reference.calibrator is not None and reference.validated_metrics["accuracy"] == 0.80


def test_ingest_builds_sketches_equal_to_a_rebuild(engine: Engine) -> None:
    _register(engine)
    batch, _ = prediction_batch(600, START, 3 * 3600, seed=5)
    result = ingest_predictions(engine, "churn", batch)
    assert (result.stored, result.sketched) == (600, 600)
    with session_scope(engine) as session:
        before = {(s.bucket_start, s.feature): (s.n, s.counts) for s in session.exec(select(FeatureSketch))}
    assert len({b for b, _ in before}) == 3  # three hourly buckets
    assert rebuild_sketches(engine, "churn", "1") == 600
    with session_scope(engine) as session:
        after = {(s.bucket_start, s.feature): (s.n, s.counts) for s in session.exec(select(FeatureSketch))}
        total = window_counts(session, "churn", "1", START, START + timedelta(hours=3))
    assert after == before
    assert total.rows == 600 and int(total.counts["x"].sum()) == 600


def test_version_without_reference_keeps_raw_rows_only(engine: Engine) -> None:
    batch, _ = prediction_batch(50, START, 60, seed=2, version="9")
    result = ingest_predictions(engine, "churn", batch)
    assert (result.stored, result.sketched, result.versions_without_reference) == (50, 0, ["9"])
    with session_scope(engine) as session:
        assert len(session.exec(select(PredictionLog)).all()) == 50
        assert session.exec(select(FeatureSketch)).first() is None


def test_ground_truth_is_joined_with_lag(engine: Engine) -> None:
    batch, labels = prediction_batch(20, START, 60, seed=3)
    ingest_predictions(engine, "churn", batch)
    assert ingest_ground_truth(engine, "churn", labels) == 20
    assert ingest_ground_truth(engine, "churn", labels[:5]) == 5  # re-sent labels replace, never duplicate
    with session_scope(engine) as session:
        rows = session.exec(select(GroundTruth)).all()
    assert len(rows) == 20
    assert sorted({round(r.lag_seconds or 0) for r in rows}) == [7200]  # labels arrive two hours after predictions


def test_full_check_flags_the_shifted_feature_and_decay(engine: Engine) -> None:
    _register(engine)
    config = MonitorConfig(tiers={2: TierSchedule(every_seconds=3600, lookback_seconds=6 * 3600)})
    batch, labels = prediction_batch(3000, START, 6 * 3600, seed=11, x_shift=0.8, flip=0.2)
    ingest_predictions(engine, "churn", PredictionBatch(records=batch.records))
    ingest_ground_truth(engine, "churn", labels)
    ctx = MonitorContext(engine=engine, config=config)
    with session_scope(engine) as session:
        reference = load_reference(session, "churn", "1")
        assert reference is not None
        report = run_check(ctx, session, reference, now=START + timedelta(hours=6))
    drifted = {d.feature for d in report.drift if d.drifted}
    assert "x" in drifted and "__score__" in drifted
    assert not {"y", "colour"} & drifted
    assert report.performance is not None and not report.performance.estimated
    assert report.performance.labelled == 3000
    accuracy = next(d for d in report.decays if d.metric == "accuracy")
    assert accuracy.level == Level.CRITICAL
    with session_scope(engine) as session:
        checks = {a.check for a in session.exec(select(AlertRecord))}
    assert {"data_drift", "prediction_drift", "decay:accuracy"} <= checks
    assert report.retrain_request_id is not None


def test_validated_metric_names_are_mapped_or_refused(engine: Engine) -> None:
    ref = reference_columns(500, seed=1)
    registered = register_reference(engine, "churn", "1", {"x": ref["x"]}, validated_metrics={"AUC": 0.85})
    assert registered.validated_metrics == {"roc_auc": 0.85}  # the name the checks compute, so it is checked
    with pytest.raises(ValueError, match=r"\['gini'\] are never computed for task 'classification'"):
        register_reference(engine, "churn", "2", {"x": ref["x"]}, validated_metrics={"gini": 0.7, "f1": 0.6})
    with pytest.raises(ValueError, match="never computed for task 'regression'"):
        register_reference(engine, "churn", "3", {"x": ref["x"]}, task="regression", validated_metrics={"f1": 0.6})
    with session_scope(engine) as session:
        assert load_reference(session, "churn", "2") is None


def test_run_checks_every_version_that_receives_traffic(engine: Engine) -> None:
    _register(engine, "1")
    _register(engine, "2")  # the canary's candidate is the latest reference; the stable version still serves 90%
    stable, _ = prediction_batch(900, START, 3000, seed=5, version="1")
    canary, _ = prediction_batch(100, START, 3000, seed=6, version="2", id_prefix="c")
    ingest_predictions(engine, "churn", PredictionBatch(records=stable.records + canary.records))
    ctx = MonitorContext(engine=engine)
    checked = run_due(ctx, now=START + timedelta(hours=1), force=True)
    assert sorted(r.model_version for r in checked) == ["1", "2"]
    rows = {r.model_version: r.performance.rows for r in checked if r.performance is not None}
    assert rows == {"1": 900, "2": 100}
    quiet = run_due(ctx, now=START + timedelta(days=30), force=True)
    assert [r.model_version for r in quiet] == ["2"]  # no traffic left: only the latest reference is checked
