"""What a model version records: technical description, data, metrics, lineage and, for LLMs, gateway links."""

from __future__ import annotations

from pydantic import Field

from registry.governance.measured import MetricName, Task
from registry.governance.records import SHA256, MetricValue, Record, Scalar
from registry.monitoring.expectations import FeatureExpectation


class DatasetRef(Record):
    name: str = Field(min_length=1)
    version: str = Field(min_length=1)


class Artifact(Record):
    uri: str = Field(min_length=1)
    sha256: str | None = Field(default=None, pattern=SHA256)


class MlflowRef(Record):
    """Where an imported version lives in MLflow's model registry (`warden models import --mlflow`)."""

    model: str = Field(min_length=1)
    version: str = Field(min_length=1)
    stage: str | None = None
    aliases: list[str] = []


class Lineage(Record):
    pipeline: str | None = None
    experiment: str | None = None
    run_id: str | None = None
    artifacts: list[Artifact] = []
    mlflow: MlflowRef | None = None


class PromptRef(Record):
    name: str = Field(min_length=1)
    commit: str = Field(pattern=r"^[0-9a-f]{7,40}$")


class LlmLinks(Record):
    """Which gateway deployments serve this version and which prompt versions run on it."""

    gateway_deployments: list[str] = []
    prompt_versions: list[PromptRef] = []


class ValidationSpec(Record):
    """What `warden models validate` measures: the task, a bound per metric (a floor, or a ceiling for error
    metrics such as rmse), and the columns declared as segments and as sensitive attributes."""

    task: Task = "classification"
    thresholds: dict[MetricName, float] = {}
    segment_columns: list[str] = []
    sensitive_columns: list[str] = []
    min_segment_rows: int = Field(default=30, ge=1)


class VersionSpec(Record):
    """The technical record of one model version (everything but its status and aliases)."""

    framework: str | None = None
    architecture: str | None = None
    hyperparameters: dict[str, Scalar] = {}
    size_bytes: int | None = Field(default=None, ge=0)
    parameter_count: int | None = Field(default=None, ge=0)
    format: str | None = None
    dependencies: dict[str, str] = {}
    datasets: list[DatasetRef] = []
    features: list[str] = []
    metrics: list[MetricValue] = []
    lineage: Lineage = Lineage()
    llm: LlmLinks | None = None
    validation: ValidationSpec | None = None
    expectations: dict[str, FeatureExpectation] = {}
    """Input data quality of this version's logged predictions, per feature (type, range, allowed, null rate):
    checked at ingest over the monitor config's expectations for the model, this spec winning per feature."""

    @property
    def empty(self) -> bool:
        """Nothing describes the version: it cannot be reviewed or promoted as it stands."""
        return self == VersionSpec()
