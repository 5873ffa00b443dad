"""The gateway's tables: teams, API keys (hashes only) and one usage row per request."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def new_row_id() -> str:
    return uuid.uuid4().hex


class Team(SQLModel, table=True):
    __tablename__ = "teams"

    name: str = Field(primary_key=True, max_length=128)
    models: list[str] | None = Field(default=None, sa_column=Column(JSON))
    """Models the team may use; None means every model."""
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: str = Field(default="month", max_length=16)
    guardrail_policy: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32)
    key_hash: str = Field(unique=True, index=True, max_length=64)
    prefix: str = Field(max_length=16)
    """The first characters of the key, safe to show, to recognise it in lists."""
    name: str | None = Field(default=None, max_length=128)
    person: str | None = Field(default=None, max_length=200)
    """The person who holds the key (name or identity): the governance audit trail records it next to the key id."""
    role: str = Field(default="team", max_length=16)
    team: str | None = Field(default=None, foreign_key="teams.name", index=True, max_length=128)
    models: list[str] | None = Field(default=None, sa_column=Column(JSON))
    rpm: int | None = None
    tpm: int | None = None
    budget_usd: float | None = None
    budget_period: str = Field(default="month", max_length=16)
    guardrail_policy: str | None = Field(default=None, max_length=128)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class UsageRecord(SQLModel, table=True):
    """One row per request, success or failure, streamed or not.

    The key is generated here, never taken from the client: `request_id` (echoed as `x-request-id`, which a
    client may choose and repeat) is only an indexed column."""

    __tablename__ = "usage"
    __table_args__ = (
        Index("ix_usage_team_created", "team", "created_at"),
        Index("ix_usage_key_created", "key_id", "created_at"),
        Index("ix_usage_model_created", "requested_model", "created_at"),
        Index("ix_usage_registry_created", "registry_model", "created_at"),
    )

    id: str = Field(default_factory=new_row_id, primary_key=True, max_length=64)
    request_id: str = Field(index=True, max_length=128)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    endpoint: str = Field(default="chat", max_length=32)
    team: str | None = Field(default=None, max_length=128)
    key_id: str | None = Field(default=None, max_length=32)
    end_user: str | None = Field(default=None, max_length=256)
    requested_model: str | None = Field(default=None, max_length=256)
    served_model: str | None = Field(default=None, max_length=256)
    deployment: str | None = Field(default=None, max_length=256)
    provider: str | None = Field(default=None, max_length=64)
    stream: bool = False
    cache_hit: bool = False
    """Answered from the response cache: no upstream call, zero upstream cost and latency."""
    status_code: int = 200
    status: str = Field(default="ok", max_length=16)
    error_type: str | None = Field(default=None, max_length=64)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    """Of the prompt tokens, those the provider read from its prompt cache (billed at its cache-read price)."""
    cache_write_tokens: int = 0
    """Of the prompt tokens, those the provider wrote to its prompt cache (billed at its cache-write price)."""
    reasoning_tokens: int = 0
    """Of the completion tokens, those the model spent reasoning."""
    cost_usd: float = 0.0
    cost_known: bool = True
    latency_ms: float = 0.0
    upstream_ms: float = 0.0
    overhead_ms: float = 0.0
    attempts: int = 0
    fallback_from: str | None = Field(default=None, max_length=256)
    prompt_name: str | None = Field(default=None, max_length=256)
    prompt_label: str | None = Field(default=None, max_length=128)
    prompt_commit: str | None = Field(default=None, max_length=64)
    prompt_template_hash: str | None = Field(default=None, max_length=64)
    guardrails: list[dict[str, object]] | None = Field(default=None, sa_column=Column(JSON))
    registry_model: str | None = Field(default=None, max_length=256)
    registry_version: str | None = Field(default=None, max_length=128)
    policy: dict[str, object] | None = Field(default=None, sa_column=Column(JSON))
    """The usage policy's decision: data class, use case, action (`gateway/usage_policy`)."""
    chunks_removed: int = 0
    """Retrieved chunks taken out before the provider and the guardrails saw them (ACL, source policy)."""
    chunks_cited: list[str] | None = Field(default=None, sa_column=Column(JSON))
    """The chunks the answer cites: `source_id/chunk_id`, else the document's place in the request (`documents[2]`)."""
