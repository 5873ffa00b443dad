"""The RAG tables: sources, embedding versions (active or retired) and re-index tasks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from registry.tables import utcnow


class RagSource(SQLModel, table=True):
    """One source a RAG index is built from: who owns it, how fresh it must be, what it may be used for."""

    __tablename__ = "rag_sources"

    id: str = Field(primary_key=True, max_length=128)
    owner: str = Field(max_length=256)
    description: str = Field(default="", max_length=2000)
    reliability: str = Field(default="unrated", max_length=16)
    """high, medium, low or unrated."""
    rights: str = Field(default="", max_length=500)
    """Who may use the content and how (e.g. `internal use only`)."""
    licence: str | None = Field(default=None, max_length=128)
    access_classes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The ACL labels its chunks may carry."""
    freshness_sla_s: int | None = Field(default=None)
    """At most this many seconds between refreshes; None: never stale."""
    refreshed_at: datetime | None = None
    """When the index last took the source's content in."""
    embedding_model: str | None = Field(default=None, max_length=256)
    embedding_version: str | None = Field(default=None, max_length=128)
    stale_since: datetime | None = None
    """Set by the monitoring scheduler when the SLA was missed; cleared by the next refresh."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class EmbeddingVersion(SQLModel, table=True):
    """An embedding model and version an index may be built with; a retired one is flagged on every request."""

    __tablename__ = "rag_embedding_versions"

    model: str = Field(primary_key=True, max_length=256)
    version: str = Field(primary_key=True, max_length=128)
    status: str = Field(default="active", max_length=16)
    """active or retired."""
    created_at: datetime = Field(default_factory=utcnow)
    retired_at: datetime | None = None


class ReindexTask(SQLModel, table=True):
    """Opened when a source's embedding model or version changes: its index must be rebuilt."""

    __tablename__ = "rag_reindex_tasks"
    __table_args__ = (Index("ix_rag_reindex_source_status", "source_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="rag_sources.id", max_length=128)
    from_model: str | None = Field(default=None, max_length=256)
    from_version: str | None = Field(default=None, max_length=128)
    to_model: str | None = Field(default=None, max_length=256)
    to_version: str | None = Field(default=None, max_length=128)
    status: str = Field(default="open", max_length=16)
    """open or done."""
    opened_by: str = Field(max_length=256)
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
