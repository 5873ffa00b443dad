"""Monitoring tables. Models and versions are referenced by name, so this package stands apart from governance.

Layout for millions of rows: raw predictions go to a narrow append-only table indexed on (model, version, ts);
every ingest also folds the batch into per (model, version, time bucket, feature) sketches (counts on the
reference bins plus moments), and drift checks read only the sketches.
All timestamps are aware UTC (`timeutil.as_utc` converts naive input, taken as UTC, on the way in).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.monitoring.timeutil import utc_now


class PredictionLog(SQLModel, table=True):
    """One logged prediction (features as JSON; never read by drift checks)."""

    __tablename__ = "monitoring_prediction"
    __table_args__ = (
        Index("ix_monitoring_prediction_model_version_ts", "model_name", "model_version", "ts"),
        Index("ix_monitoring_prediction_model_request", "model_name", "request_id"),
    )

    # BIGINT on PostgreSQL (billions of rows); SQLite needs INTEGER for its rowid alias.
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    )
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    ts: datetime
    request_id: str | None = Field(default=None, max_length=200)
    prediction_value: float | None = None
    prediction_label: str | None = Field(default=None, max_length=200)
    score: float | None = None
    latency_ms: float | None = None
    error: bool = False
    features: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class GroundTruth(SQLModel, table=True):
    """The actual outcome of a prediction, arriving later; joined to predictions by (model, request id)."""

    __tablename__ = "monitoring_ground_truth"
    __table_args__ = (UniqueConstraint("model_name", "request_id", name="uq_monitoring_ground_truth_request"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    request_id: str = Field(max_length=200)
    actual_value: float | None = None
    actual_label: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=utc_now)
    lag_seconds: float | None = None


class FeatureSketch(SQLModel, table=True):
    """Counts on the reference bins and moments of one feature over one time bucket."""

    __tablename__ = "monitoring_sketch"
    __table_args__ = (
        UniqueConstraint("model_name", "model_version", "bucket_start", "feature", name="uq_monitoring_sketch_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    bucket_start: datetime
    feature: str = Field(max_length=200)
    n: int = 0
    n_missing: int = 0
    total: float = 0.0
    total_sq: float = 0.0
    minimum: float | None = None
    maximum: float | None = None
    counts: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class ReferenceRecord(SQLModel, table=True):
    """The reference profile registered with a model version, and the metrics it was validated at."""

    __tablename__ = "monitoring_reference"
    __table_args__ = (UniqueConstraint("model_name", "model_version", name="uq_monitoring_reference_version"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    task: str = Field(default="classification", max_length=30)
    profile: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    validated_metrics: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    calibration: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utc_now)


class CheckResult(SQLModel, table=True):
    """One measured value of one check (a feature's PSI, a metric on a window); feeds reports and /metrics."""

    __tablename__ = "monitoring_check_result"
    __table_args__ = (Index("ix_monitoring_check_result_key", "model_name", "model_version", "check", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    check: str = Field(max_length=50)
    subject: str = Field(max_length=200)
    value: float
    level: str = Field(max_length=20)
    estimated: bool = False
    window_start: datetime
    window_end: datetime
    created_at: datetime = Field(default_factory=utc_now)


class CheckRun(SQLModel, table=True):
    """When the checks of a model version last ran (drives the per-tier schedule)."""

    __tablename__ = "monitoring_check_run"
    __table_args__ = (UniqueConstraint("model_name", "model_version", name="uq_monitoring_check_run_version"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    last_run_at: datetime
    level: str = Field(default="none", max_length=20)


class AlertRecord(SQLModel, table=True):
    """Every alert raised, sent or suppressed as a duplicate, linked to its model version."""

    __tablename__ = "monitoring_alert"
    __table_args__ = (Index("ix_monitoring_alert_dedup", "model_name", "model_version", "check", "level", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    check: str = Field(max_length=50)
    level: str = Field(max_length=20)
    message: str
    details: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    suppressed: bool = False
    delivered: int = 0
    failed: int = 0
    created_at: datetime = Field(default_factory=utc_now)


class RetrainRequest(SQLModel, table=True):
    """A request to re-train a model version, scheduled by tier or triggered by drift/decay."""

    __tablename__ = "monitoring_retrain_request"
    __table_args__ = (Index("ix_monitoring_retrain_model", "model_name", "model_version", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    model_name: str = Field(max_length=200)
    model_version: str = Field(max_length=100)
    reason: str = Field(max_length=20)
    level: str = Field(max_length=20)
    detail: str = ""
    status: str = Field(default="open", max_length=20)
    created_at: datetime = Field(default_factory=utc_now)


class SourceSketchState(SQLModel, table=True):
    """The merged sketch of one PostgreSQL source over one window and the watermark it was read up to, so the next
    check of that window reads only newer rows (`sources_pg_increments`)."""

    __tablename__ = "monitoring_source_sketch"

    key: str = Field(primary_key=True, max_length=64)
    """SHA-256 of the source (DSN, table, columns) and the window."""
    fingerprint: str = Field(max_length=64)
    """SHA-256 of the reference profile and column mapping the sketch was binned with: another one invalidates it."""
    source: str = Field(max_length=300)
    window_start: datetime | None = None
    window_end: datetime | None = None
    watermark: str | None = Field(default=None, max_length=100)
    """The largest watermark value read, as PostgreSQL prints it (None: no row yet)."""
    rows: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))
    sketch: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utc_now)


MONITORING_TABLES = [
    PredictionLog.__table__,
    GroundTruth.__table__,
    FeatureSketch.__table__,
    ReferenceRecord.__table__,
    CheckResult.__table__,
    CheckRun.__table__,
    AlertRecord.__table__,
    RetrainRequest.__table__,
    SourceSketchState.__table__,
]
