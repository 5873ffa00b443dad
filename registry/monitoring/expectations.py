"""Input data-quality expectations on logged predictions, checked at ingest.

Declared per model and feature in the monitor config (`expectations: {model: {feature: {...}}}`): the value's type,
a numeric range, the allowed categories and the highest share of missing values. Rows are always stored; each batch's
violations are counted per model version, window (the ingest bucket) and feature, stored as `data_quality` check
results (value: rows violating) at the expectation's level, and returned in the ingest answer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from registry.monitoring.levels import Level
from registry.monitoring.timeutil import bucket_start

if TYPE_CHECKING:  # the ingest schemas import FeatureQuality for their answer
    from sqlmodel import Session

    from registry.monitoring.schemas import FeatureValue, PredictionRecord

CHECK = "data_quality"
ValueType = Literal["number", "string", "bool"]


class FeatureExpectation(BaseModel):
    """What one feature's values must look like; a missing value only counts against `max_null_rate`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ValueType | None = None
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    max_null_rate: float | None = Field(default=None, ge=0, le=1)
    level: Level = Level.WARNING
    """The level of a window where any row violates this expectation (or the null rate is above its maximum)."""

    @model_validator(mode="after")
    def _range(self) -> FeatureExpectation:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class FeatureQuality(BaseModel):
    """One feature's violations in one version's window of one ingest batch."""

    model_config = ConfigDict(extra="forbid")

    model_version: str
    window_start: datetime
    feature: str
    rows: int
    violations: int
    """Rows whose present value breaks the type, range or category expectation."""
    wrong_type: int = 0
    out_of_range: int = 0
    unknown_category: int = 0
    null_rate: float
    null_rate_exceeded: bool = False
    level: Level = Level.NONE


def _is_type(value: FeatureValue, wanted: ValueType) -> bool:
    if wanted == "bool":
        return isinstance(value, bool)
    if wanted == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _measure(version: str, start: datetime, feature: str, exp: FeatureExpectation,
             values: Sequence[FeatureValue]) -> FeatureQuality:
    """One pass over the values: each present value counts once in `violations`, and under each rule it breaks."""
    present = wrong = out = unknown = bad = 0
    for v in values:
        if v is None or v != v:  # NaN is missing too
            continue
        present += 1
        is_wrong = exp.type is not None and not _is_type(v, exp.type)
        number = isinstance(v, int | float) and not isinstance(v, bool)
        is_out = number and ((exp.min is not None and v < exp.min) or (exp.max is not None and v > exp.max))
        is_unknown = exp.allowed is not None and str(v) not in exp.allowed
        wrong, out, unknown = wrong + is_wrong, out + bool(is_out), unknown + is_unknown
        bad += bool(is_wrong or is_out or is_unknown)
    null_rate = 1 - present / len(values)
    exceeded = exp.max_null_rate is not None and null_rate > exp.max_null_rate
    return FeatureQuality(model_version=version, window_start=start, feature=feature, rows=len(values),
                          violations=bad, wrong_type=wrong, out_of_range=out, unknown_category=unknown,
                          null_rate=null_rate, null_rate_exceeded=exceeded,
                          level=exp.level if bad or exceeded else Level.NONE)


def check_records(expectations: dict[str, FeatureExpectation], records: Sequence[PredictionRecord],
                  bucket_seconds: int) -> list[FeatureQuality]:
    """Violations per (version, window, feature) of a batch, the same expectations for every version."""
    return check_versions({r.model_version: expectations for r in records}, records, bucket_seconds)


def check_versions(by_version: Mapping[str, dict[str, FeatureExpectation]], records: Sequence[PredictionRecord],
                   bucket_seconds: int) -> list[FeatureQuality]:
    """Violations per (version, window, feature) of a batch, in that order, each version held to its own."""
    groups: dict[tuple[str, datetime], list[PredictionRecord]] = defaultdict(list)
    for record in records:
        groups[(record.model_version, bucket_start(record.ts, bucket_seconds))].append(record)
    return [
        _measure(version, start, feature, exp, [r.features.get(feature) for r in rows])
        for (version, start), rows in sorted(groups.items())
        for feature, exp in sorted(by_version.get(version, {}).items())
    ]


def store_checks(session: Session, model_name: str, found: list[FeatureQuality], bucket_seconds: int) -> None:
    """One `data_quality` check result per feature and window (value: rows violating; subject: the feature)."""
    # Imported here: the API shapes (schemas) import this module and binning imports those; the drift engine and
    # `warden monitor sketch` should not pay for SQLModel's import (~0.6 s) to bin numbers.
    from registry.monitoring.tables import CheckResult

    for q in found:
        session.add(CheckResult(model_name=model_name, model_version=q.model_version, check=CHECK, subject=q.feature,
                                value=float(q.violations), level=q.level.value, window_start=q.window_start,
                                window_end=q.window_start + timedelta(seconds=bucket_seconds)))
