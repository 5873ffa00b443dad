"""The deliverable of each lifecycle phase as a validated record (stored as JSON on the model row)."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from registry.governance.bias_records import BiasWaiver, DatasetBias
from registry.governance.measured import (
    CalibrationBin,
    FairnessResult,
    MeasuredMetric,
    RobustnessResult,
    SegmentResult,
    Task,
)
from registry.governance.types import Cadence, DecommissionCriterion, Frequency, Severity

Scalar = str | int | float | bool | None
SHA256 = r"^[0-9a-f]{64}$"


class Record(BaseModel):
    """Base of every stored record: unknown keys are refused so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


KPI_NAME_MAX = 46


class KpiAlertLevels(Record):
    """Phase 6: the value at which a pushed KPI raises each alert level (the monitor's levels): below it when higher
    is better, above it otherwise. A level left out is never raised; the levels must worsen in order."""

    info: float | None = None
    warning: float | None = None
    critical: float | None = None
    emergency: float | None = None


class Kpi(Record):
    name: str = Field(min_length=1)
    target: str = Field(min_length=1)
    unit: str | None = None
    direction: Literal["higher_is_better", "lower_is_better"] = "higher_is_better"
    alert_levels: KpiAlertLevels | None = None
    """Without levels the KPI's pushed values are stored and reported, never alerted on."""

    @model_validator(mode="after")
    def _ordered(self) -> Kpi:
        if self.alert_levels is None:
            return self
        if len(self.name) > KPI_NAME_MAX:  # alerted as check `kpi:NAME`, a 50-character column
            raise ValueError(f"KPI {self.name!r}: a name with alert levels has at most {KPI_NAME_MAX} characters")
        set_levels = [(k, v) for k, v in self.alert_levels.model_dump().items() if v is not None]
        sign = 1 if self.direction == "higher_is_better" else -1
        for (low, a), (high, b) in zip(set_levels, set_levels[1:], strict=False):
            if sign * (b - a) > 0:
                worse = "below" if sign > 0 else "above"
                raise ValueError(f"KPI {self.name!r}: the {high} level ({b:g}) must be at or {worse} the {low} "
                                 f"level ({a:g}) when {self.direction.replace('_', ' ')}")
        return self


class ProjectCharter(Record):
    """Problem framing deliverable: what is solved, how success is measured, which data, which risks."""

    problem: str = Field(min_length=1)
    kpis: list[Kpi] = Field(min_length=1)
    data_sources: list[str] = Field(min_length=1)
    risks: list[str] = Field(min_length=1)
    data_classification: Literal["public", "internal", "confidential", "restricted"]
    sponsor: str | None = None


class DataCard(Record):
    description: str = Field(min_length=1)
    source: str = Field(min_length=1)
    collection_period: str | None = None
    license: str | None = None
    contains_personal_data: bool
    known_biases: list[str] = []


class QualityCheck(Record):
    name: str = Field(min_length=1)
    passed: bool
    detail: str | None = None


class DataQualityReport(Record):
    completeness: float = Field(ge=0, le=1)
    duplicate_ratio: float = Field(ge=0, le=1)
    checks: list[QualityCheck] = []

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


LawfulBasis = Literal[
    "consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"
]


class DpiaRecord(Record):
    """GDPR: the lawful basis (Art. 6) for processing a dataset's personal data and its data protection impact
    assessment (Art. 35), required before a version trained or evaluated on it is promoted."""

    lawful_basis: LawfulBasis
    dpia_reference: str = Field(min_length=1)
    """Where the DPIA is filed (document id or URL)."""
    completed_on: date
    approved_by: str = Field(min_length=1)
    """The data protection officer (or delegate) who signed it off."""
    special_categories: list[str] = []
    """Art. 9 categories processed, if any (health, ethnicity...)."""


class DatasetVersion(Record):
    """Data preparation deliverable: one version of one dataset with its card and quality report."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    uri: str = Field(min_length=1)
    sha256: str | None = Field(default=None, pattern=SHA256)
    rows: int | None = Field(default=None, ge=0)
    data_card: DataCard | None = None
    quality: DataQualityReport | None = None
    dpia: DpiaRecord | None = None
    """Required before promotion of a version using this dataset when its card says `contains_personal_data`."""
    retired: bool = False
    """No longer in use: kept for the record, no longer asked for documentation when leaving data preparation."""
    bias: DatasetBias | None = None
    """Representation and label rate per sensitive group and segment (`warden models dataset bias`)."""
    bias_waivers: list[BiasWaiver] = []
    """Gaps of `bias` beyond the tier's limits that the board accepted (`warden models dataset waive-bias`)."""


class ExperimentRef(Record):
    """Development deliverable: a pointer to a tracked experiment (MLflow run or any link)."""

    name: str = Field(min_length=1)
    mlflow_run_id: str | None = None
    url: HttpUrl | None = None
    notes: str | None = None


class MetricValue(Record):
    split: Literal["train", "validation", "test", "production"]
    name: str = Field(min_length=1)
    value: float
    segment: str | None = None


class ValidationReport(Record):
    """Validation deliverable: independent evaluation of one version before production (stored on the version)."""

    validator: str = Field(min_length=1)
    validated_on: date
    methodology: str = Field(min_length=1)
    results: list[MetricValue] = []
    passed: bool
    issues: list[str] = []
    code_review_url: HttpUrl | None = None
    # Filled when Warden computed the report from data (`warden models validate`); absent on typed reports.
    generated_by: str | None = None
    data_sha256: str | None = Field(default=None, pattern=SHA256)
    rows: int | None = Field(default=None, ge=0)
    task: Task | None = None
    metrics: list[MeasuredMetric] = []
    segments: list[SegmentResult] = []
    fairness: list[FairnessResult] = []
    robustness: list[RobustnessResult] = []
    calibration: list[CalibrationBin] = []
    skipped: list[str] = []

    @model_validator(mode="after")
    def _evidence(self) -> ValidationReport:
        # A pass with nothing measured is an assertion, not a validation.
        if self.passed and not (self.results or self.metrics):
            raise ValueError("a passing validation report needs its results (at least one metric value)")
        return self


class Sla(Record):
    availability_pct: float = Field(gt=0, le=100)
    p95_latency_ms: int = Field(gt=0)


class DeploymentRecord(Record):
    """Deployment deliverable: where and how the model is served."""

    endpoints: list[str] = Field(min_length=1)
    infrastructure: str = Field(min_length=1)
    serving_config: dict[str, Scalar] = {}
    sla: Sla
    strategy: Literal["direct", "canary", "blue_green", "shadow"]


class AlertThreshold(Record):
    metric: str = Field(min_length=1)
    operator: Literal[">", ">=", "<", "<="]
    threshold: float
    severity: Severity


class RetrainingPlan(Record):
    cadence: Cadence
    triggers: list[str] = []


class MonitoringPlan(Record):
    """Monitoring deliverable: what is watched, how often, when it alerts, when the model is re-trained."""

    metrics: list[str] = Field(min_length=1)
    frequency: Frequency
    alerts: list[AlertThreshold] = []
    retraining: RetrainingPlan


class DecommissionPlan(Record):
    """Planned end of life, written before it is needed (the actual steps live in `DecommissionState`)."""

    triggers: list[DecommissionCriterion] = Field(min_length=1)
    archive_location: str = Field(min_length=1)
    stakeholders: list[str] = Field(min_length=1)
    notes: str | None = None
