"""Typed inputs and outputs of the service API (the lead's REST routes reuse them as request/response bodies)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from registry.governance.card import ModelCard
from registry.governance.classify import ClassificationCriteria, ClassificationResult
from registry.governance.decommission_records import DecommissionState
from registry.governance.interpretability_records import InterpretabilityRecord
from registry.governance.records import (
    DatasetVersion,
    DecommissionPlan,
    DeploymentRecord,
    ExperimentRef,
    MonitoringPlan,
    ProjectCharter,
    ValidationReport,
)
from registry.governance.specs import VersionSpec
from registry.governance.tables import GovModel, GovModelVersion
from registry.governance.types import (
    Decision,
    EUClass,
    LifecyclePhase,
    ModelKind,
    ReviewerRole,
    ReviewStage,
    RiskTier,
    VersionStatus,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelIn(_In):
    name: str = Field(pattern=NAME_PATTERN)
    kind: ModelKind
    owner: str = Field(min_length=1)
    team: str = Field(min_length=1)
    use_case: str = Field(min_length=1)
    description: str = ""


class ModelUpdate(_In):
    """Fields left `None` are unchanged. A new use case makes the classification due again."""

    owner: str | None = Field(default=None, min_length=1)
    team: str | None = Field(default=None, min_length=1)
    use_case: str | None = Field(default=None, min_length=1)
    description: str | None = None


class ClassificationRecord(_In):
    criteria: ClassificationCriteria
    result: ClassificationResult
    classified_by: str
    classified_at: datetime


class ModelOut(_In):
    id: int
    name: str
    kind: ModelKind
    owner: str
    team: str
    use_case: str
    description: str
    phase: LifecyclePhase
    status: str
    risk_tier: RiskTier | None
    eu_class: EUClass | None
    prohibited: bool
    classification: ClassificationRecord | None
    review_due_at: datetime | None
    review_reasons: list[str]
    charter: ProjectCharter | None
    datasets: list[DatasetVersion]
    experiments: list[ExperimentRef]
    model_card: ModelCard | None
    deployment: DeploymentRecord | None
    monitoring_plan: MonitoringPlan | None
    decommission_plan: DecommissionPlan | None
    decommission: DecommissionState | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: GovModel) -> ModelOut:
        return cls.model_validate(row.model_dump())


class VersionIn(_In):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$")
    spec: VersionSpec = VersionSpec()


class VersionOut(_In):
    id: int
    model: str
    version: str
    status: VersionStatus
    spec: VersionSpec
    validation_report: ValidationReport | None
    interpretability: InterpretabilityRecord | None = None
    aliases: list[str]
    created_by: str
    created_at: datetime
    status_changed_at: datetime

    @classmethod
    def from_row(cls, model: GovModel, row: GovModelVersion, aliases: list[str]) -> VersionOut:
        data = row.model_dump(exclude={"model_id", "model_card"})
        return cls.model_validate({**data, "model": model.name, "aliases": sorted(aliases)})


class SubmissionIn(_In):
    version: str
    code_review_url: HttpUrl | None = None
    notes: str | None = None


class VoteIn(_In):
    role: ReviewerRole
    approve: bool
    comment: str | None = None
    reservations: list[str] = []


class DecisionIn(_In):
    decision: Decision
    reservations: list[str] = []
    feedback: str | None = None


class VoteOut(_In):
    reviewer: str
    role: ReviewerRole
    stage: ReviewStage
    approve: bool
    comment: str | None
    reservations: list[str]
    at: datetime


class ReviewOut(_In):
    id: int
    model: str
    version: str
    tier: RiskTier
    stage: ReviewStage
    decision: Decision | None
    submission: SubmissionIn
    reservations: list[str]
    feedback: str | None
    submitted_by: str
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    votes: list[VoteOut]
    awaiting: list[str] = []
    """What the review still waits for: approvals by role at its stage, or the chair's decision."""


class OverdueReview(_In):
    model: str
    team: str
    tier: RiskTier | None
    due_at: datetime | None
    reasons: list[str]
