"""The registry of LLM use cases: what each is for, who owns it, whether it may run and on what conditions.

Every change is appended to the governance audit trail (chain `usage-policy`) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column
from sqlalchemy.engine import Engine
from sqlmodel import Field as Column_, Session, SQLModel, select

from registry.db import session_scope
from registry.governance import audit
from registry.governance.tables import GovModel
from registry.tables import utcnow

POLICY_CHAIN = "usage-policy"
UseCaseStatus = Literal["approved", "conditional", "forbidden"]
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,127}$"


class UseCaseError(ValueError):
    """A use case cannot be created or changed; the message says why."""


class Conditions(BaseModel):
    """What a conditional use case needs in force to run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    required_guardrails: list[str] = []
    """Guardrails the request's guardrail policy must run (input or output)."""
    human_review: bool = False
    """Answers are queued for a reviewer and marked `x-warden-review: required`."""
    max_data_class: str | None = None
    """The most sensitive data class the use case may send."""
    allowed_models: list[str] | None = None


class UseCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=NAME_PATTERN)
    description: str = Field(default="", max_length=4000)
    owner: str = Field(min_length=1, max_length=200)
    status: UseCaseStatus
    conditions: Conditions = Conditions()
    keys: list[str] = Field(default=[], max_length=1000)
    """API key ids whose requests carry this use case."""
    prompts: list[str] = Field(default=[], max_length=1000)
    """Stored prompt names whose requests carry this use case."""
    registry_models: list[str] = Field(default=[], max_length=1000)
    """The registry's model entries this use case relies on."""


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: UseCaseStatus
    reason: str = Field(default="", max_length=2000)


class UseCase(SQLModel, table=True):
    __tablename__ = "use_cases"

    name: str = Column_(primary_key=True, max_length=128)
    description: str = ""
    owner: str = Column_(max_length=200)
    status: str = Column_(max_length=16)
    conditions: dict[str, object] = Column_(default_factory=dict, sa_column=Column(JSON, nullable=False))
    keys: list[str] = Column_(default_factory=list, sa_column=Column(JSON, nullable=False))
    prompts: list[str] = Column_(default_factory=list, sa_column=Column(JSON, nullable=False))
    registry_models: list[str] = Column_(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Column_(default_factory=utcnow)
    updated_at: datetime = Column_(default_factory=utcnow)

    def view(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "owner": self.owner, "status": self.status,
                "conditions": self.conditions, "keys": self.keys, "prompts": self.prompts,
                "registry_models": self.registry_models, "created_at": self.created_at.isoformat(),
                "updated_at": self.updated_at.isoformat()}


def create_use_case(session: Session, actor: str, data: UseCaseIn) -> UseCase:
    if session.get(UseCase, data.name) is not None:
        raise UseCaseError(f"use case {data.name!r} already exists")
    if data.registry_models:
        found = set(session.exec(select(GovModel.name).where(GovModel.name.in_(data.registry_models))))  # type: ignore[attr-defined]
        missing = [name for name in data.registry_models if name not in found]
        if missing:
            raise UseCaseError(f"use case {data.name!r} names models the registry does not have: {missing}")
    row = UseCase(**data.model_dump())
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, chain=POLICY_CHAIN, action="use_case.create", subject=data.name,
                 after=_audited(row))
    return row


def set_status(session: Session, actor: str, name: str, change: StatusIn) -> UseCase:
    row = session.get(UseCase, name)
    if row is None:
        raise LookupError(f"use case {name!r} does not exist")
    before = _audited(row)
    row.status, row.updated_at = change.status, utcnow()
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, chain=POLICY_CHAIN, action="use_case.status", subject=name, before=before,
                 after={**_audited(row), "reason": change.reason})
    return row


def get_use_case(session: Session, name: str) -> UseCase | None:
    return session.get(UseCase, name)


def list_use_cases(session: Session) -> list[UseCase]:
    return list(session.exec(select(UseCase).order_by(UseCase.name)))  # type: ignore[arg-type]


def load_all(engine: Engine) -> list[UseCase]:
    with session_scope(engine) as session:
        return list_use_cases(session)


def _audited(row: UseCase) -> dict[str, object]:
    return {"status": row.status, "owner": row.owner, "conditions": row.conditions, "keys": row.keys,
            "prompts": row.prompts, "registry_models": row.registry_models}
