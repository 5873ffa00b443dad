"""The monitoring API's request and result shapes, and its closed sets. Deliberately free of numpy and
pyarrow, so the gateway can declare its routes without loading the drift engine."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from registry.monitoring.expectations import FeatureQuality

FeatureKind = Literal["numeric", "categorical"]
Task = Literal["classification", "regression", "ranking"]

FeatureValue = float | int | str | bool | None
MAX_BATCH = 10_000


class PredictionRecord(BaseModel):
    """One prediction as logged by a serving system."""

    model_config = ConfigDict(extra="forbid")

    model_version: str = Field(min_length=1, max_length=100)
    ts: datetime
    features: dict[str, FeatureValue] = Field(default_factory=dict)
    prediction: float | str | None = None
    score: float | None = None
    request_id: str | None = Field(default=None, max_length=200)
    latency_ms: float | None = None
    error: bool = False


class PredictionBatch(BaseModel):
    """The request body of the ingest endpoint."""

    model_config = ConfigDict(extra="forbid")

    records: list[PredictionRecord] = Field(max_length=MAX_BATCH)


class GroundTruthRecord(BaseModel):
    """The actual outcome for a logged prediction, joined later by `request_id`."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=200)
    actual: float | str
    ts: datetime | None = None


class IngestResult(BaseModel):
    """What an ingest call stored."""

    model_config = ConfigDict(extra="forbid")

    stored: int
    sketched: int
    versions_without_reference: list[str] = Field(default_factory=list)
    data_quality: list[FeatureQuality] = Field(default_factory=list)
    """Expectation violations per version, window and feature (rows are stored all the same)."""
