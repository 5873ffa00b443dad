"""The governance tables (prefix `gov_`). Structured records are JSON columns validated by `records`/`specs`/`card`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel

from registry.governance.types import utcnow


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class GovModel(SQLModel, table=True):
    """One inventoried AI model (LLM or classical) and the deliverables of its lifecycle."""

    __tablename__ = "gov_models"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True, max_length=200)
    kind: str = Field(max_length=20)
    owner: str = Field(max_length=200)
    team: str = Field(index=True, max_length=200)
    use_case: str
    description: str = ""
    phase: str = Field(default="problem_framing", max_length=40)
    status: str = Field(default="active", max_length=20)
    risk_tier: int | None = None
    eu_class: str | None = Field(default=None, max_length=20)
    prohibited: bool = False
    classification: dict[str, Any] | None = _json()
    review_due_at: datetime | None = None
    review_reasons: list[str] = _json_list()
    charter: dict[str, Any] | None = _json()
    datasets: list[dict[str, Any]] = _json_list()
    experiments: list[dict[str, Any]] = _json_list()
    model_card: dict[str, Any] | None = _json()
    deployment: dict[str, Any] | None = _json()
    monitoring_plan: dict[str, Any] | None = _json()
    decommission_plan: dict[str, Any] | None = _json()
    decommission: dict[str, Any] | None = _json()
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class GovModelVersion(SQLModel, table=True):
    __tablename__ = "gov_model_versions"
    __table_args__ = (UniqueConstraint("model_id", "version", name="uq_gov_model_versions_model_version"),)

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="gov_models.id", index=True)
    version: str = Field(max_length=100)
    status: str = Field(default="development", max_length=20)
    spec: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    validation_report: dict[str, Any] | None = _json()
    model_card: dict[str, Any] | None = _json()
    """This version's own card fields (`card.VersionCard`); the model-level ones stay on `GovModel.model_card`."""
    interpretability: dict[str, Any] | None = _json()
    """Phase 3: how the version's predictions are explained (`interpretability.InterpretabilityRecord`)."""
    created_by: str
    created_at: datetime = Field(default_factory=utcnow)
    status_changed_at: datetime = Field(default_factory=utcnow)


class GovAlias(SQLModel, table=True):
    """`alias` of a model points at exactly one version; moving it is a single-row update."""

    __tablename__ = "gov_aliases"

    model_id: int = Field(foreign_key="gov_models.id", primary_key=True)
    alias: str = Field(primary_key=True, max_length=100)
    version_id: int = Field(foreign_key="gov_model_versions.id")
    updated_at: datetime = Field(default_factory=utcnow)


class GovReviewer(SQLModel, table=True):
    """The review-board roles a user holds."""

    __tablename__ = "gov_reviewers"

    user: str = Field(primary_key=True, max_length=200)
    roles: list[str] = _json_list()


class GovReview(SQLModel, table=True):
    __tablename__ = "gov_reviews"

    id: int | None = Field(default=None, primary_key=True)
    model_id: int = Field(foreign_key="gov_models.id", index=True)
    version_id: int = Field(foreign_key="gov_model_versions.id", index=True)
    tier: int
    stage: str = Field(max_length=40)
    decision: str | None = Field(default=None, max_length=40)
    submission: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reservations: list[str] = _json_list()
    feedback: str | None = None
    submitted_by: str
    created_at: datetime = Field(default_factory=utcnow)
    decided_by: str | None = None
    decided_at: datetime | None = None


class GovReviewVote(SQLModel, table=True):
    __tablename__ = "gov_review_votes"
    __table_args__ = (UniqueConstraint("review_id", "reviewer", "role", name="uq_gov_review_votes_reviewer_role"),)

    id: int | None = Field(default=None, primary_key=True)
    review_id: int = Field(foreign_key="gov_reviews.id", index=True)
    reviewer: str = Field(max_length=200)
    role: str = Field(max_length=40)
    stage: str = Field(max_length=40)
    approve: bool
    comment: str | None = None
    reservations: list[str] = _json_list()
    at: datetime = Field(default_factory=utcnow)


class GovRollout(SQLModel, table=True):
    __tablename__ = "gov_rollouts"

    model_id: int = Field(foreign_key="gov_models.id", primary_key=True)
    plan: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    updated_at: datetime = Field(default_factory=utcnow)


class GovAuditEntry(SQLModel, table=True):
    """One link of a hash chain; `chain` is the model name (or `registry` for board-wide actions)."""

    __tablename__ = "gov_audit_entries"
    __table_args__ = (
        UniqueConstraint("chain", "seq", name="uq_gov_audit_entries_chain_seq"),
        Index("ix_gov_audit_entries_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    chain: str = Field(index=True, max_length=200)
    seq: int
    at: datetime
    actor: str = Field(max_length=200)
    person: str | None = Field(default=None, max_length=200)
    """The person holding the actor's key, when the key names one (hashed only when set, so older links verify)."""
    action: str = Field(max_length=80)
    subject: str = Field(max_length=300)
    before: dict[str, Any] | None = _json()
    after: dict[str, Any] | None = _json()
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class GovAuditHead(SQLModel, table=True):
    """The last link of each chain: locked to serialise appends, compared by `verify` to catch tail deletions."""

    __tablename__ = "gov_audit_heads"

    chain: str = Field(primary_key=True, max_length=200)
    seq: int = 0
    hash: str = Field(max_length=64)


class GovAuditCheckpoint(SQLModel, table=True):
    """Where a chain restarts after a retention purge: the hash of the last purged entry."""

    __tablename__ = "gov_audit_checkpoints"

    chain: str = Field(primary_key=True, max_length=200)
    upto_seq: int
    last_hash: str = Field(max_length=64)
    purged_total: int = 0
    at: datetime = Field(default_factory=utcnow)


GOVERNANCE_TABLES = [
    cls.__table__  # type: ignore[attr-defined]
    for cls in (
        GovModel,
        GovModelVersion,
        GovAlias,
        GovReviewer,
        GovReview,
        GovReviewVote,
        GovRollout,
        GovAuditEntry,
        GovAuditHead,
        GovAuditCheckpoint,
    )
]


def create_tables(engine: Engine) -> None:
    """Create only the governance tables (tests and the embedded mode; production uses Alembic)."""
    SQLModel.metadata.create_all(engine, tables=GOVERNANCE_TABLES)


def drop_tables(engine: Engine) -> None:
    SQLModel.metadata.drop_all(engine, tables=GOVERNANCE_TABLES)
