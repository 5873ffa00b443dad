"""The source inventory: register, change, list and remove sources; a change of embedding model opens a re-index
task; the monitoring scheduler flags the sources whose freshness SLA was missed."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.db import session_scope
from registry.rag.audit import audit
from registry.rag.embeddings import ensure_version
from registry.rag.tables import RagSource, ReindexTask
from registry.tables import utcnow

log = logging.getLogger("warden.rag")
Reliability = Literal["high", "medium", "low", "unrated"]


class SourceNotFound(LookupError):
    pass


class SourceExists(ValueError):
    pass


class SourceFields(BaseModel):
    """What may be changed on a source (every field optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    owner: str | None = Field(default=None, min_length=1, max_length=256)
    description: str | None = Field(default=None, max_length=2000)
    reliability: Reliability | None = None
    rights: str | None = Field(default=None, max_length=500)
    licence: str | None = Field(default=None, max_length=128)
    access_classes: list[str] | None = Field(default=None, max_length=256)
    freshness_sla_s: int | None = Field(default=None, gt=0, le=10 * 365 * 86400)
    refreshed_at: datetime | None = None
    embedding_model: str | None = Field(default=None, min_length=1, max_length=256)
    embedding_version: str | None = Field(default=None, min_length=1, max_length=128)


class SourceSpec(SourceFields):
    """A new source: its id and owner are required."""

    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$")
    owner: str = Field(min_length=1, max_length=256)  # type: ignore[assignment]


def as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def is_stale(source: RagSource, now: datetime) -> bool:
    """Past its SLA since the last refresh (a source with an SLA that was never refreshed is stale)."""
    if source.freshness_sla_s is None:
        return False
    if source.refreshed_at is None:
        return True
    return as_utc(now) - as_utc(source.refreshed_at) > timedelta(seconds=source.freshness_sla_s)


def create_source(engine: Engine, spec: SourceSpec, actor: str) -> RagSource:
    with session_scope(engine) as session:
        if session.get(RagSource, spec.id) is not None:
            raise SourceExists(f"source {spec.id!r} is already registered")
        values = spec.model_dump(exclude_none=True)
        source = RagSource(**values)
        session.add(source)
        audit(session, actor, "source.create", source.id, None, source)
        if source.embedding_model and source.embedding_version:
            ensure_version(session, source.embedding_model, source.embedding_version)
        return source


def update_source(engine: Engine, source_id: str, fields: SourceFields,
                  actor: str) -> tuple[RagSource, ReindexTask | None]:
    """Apply the fields that were set; a new embedding model or version opens a re-index task."""
    with session_scope(engine) as session:
        source = _get(session, source_id)
        before = (source.embedding_model, source.embedding_version)
        old = source.model_dump(mode="json")
        for name, value in fields.model_dump(exclude_unset=True).items():
            setattr(source, name, value)
        source.updated_at = utcnow()
        if source.refreshed_at is not None and "refreshed_at" in fields.model_fields_set:
            source.stale_since = None
        after = (source.embedding_model, source.embedding_version)
        task = None
        if after != before and any(before):
            task = ReindexTask(source_id=source_id, from_model=before[0], from_version=before[1], to_model=after[0],
                               to_version=after[1], opened_by=actor)
            session.add(task)
        if after[0] and after[1]:
            ensure_version(session, after[0], after[1])
        session.add(source)
        session.flush()
        audit(session, actor, "source.update", source_id, old, source)
        if task is not None:
            audit(session, actor, "source.reindex.open", source_id, None, task)
        return source, task


def get_source(engine: Engine, source_id: str) -> RagSource:
    with Session(engine) as session:
        return _get(session, source_id)


def list_sources(engine: Engine, stale_only: bool = False) -> list[RagSource]:
    with Session(engine) as session:
        query = select(RagSource).order_by(col(RagSource.id))
        if stale_only:
            query = query.where(col(RagSource.stale_since).is_not(None))
        return list(session.exec(query))


def delete_source(engine: Engine, source_id: str, actor: str) -> None:
    with session_scope(engine) as session:
        source = _get(session, source_id)
        audit(session, actor, "source.delete", source_id, source, None)
        for task in session.exec(select(ReindexTask).where(ReindexTask.source_id == source_id)):
            session.delete(task)
        session.flush()
        session.delete(source)


def flag_stale(engine: Engine, now: datetime | None = None) -> list[str]:
    """Mark the sources past their freshness SLA (and clear the mark on refreshed ones); returns those newly marked."""
    moment = as_utc(now or utcnow())
    flagged: list[str] = []
    with session_scope(engine) as session:
        for source in session.exec(select(RagSource).where(col(RagSource.freshness_sla_s).is_not(None))):
            stale = is_stale(source, moment)
            if stale and source.stale_since is None:
                source.stale_since = moment
                flagged.append(source.id)
            elif not stale and source.stale_since is not None:
                source.stale_since = None
            session.add(source)
    if flagged:
        log.warning("RAG sources past their freshness SLA: %s", ", ".join(flagged))
    return flagged


def list_tasks(engine: Engine, status: str | None = "open", source_id: str | None = None) -> Sequence[ReindexTask]:
    with Session(engine) as session:
        query = select(ReindexTask).order_by(col(ReindexTask.id))
        if status:
            query = query.where(ReindexTask.status == status)
        if source_id:
            query = query.where(ReindexTask.source_id == source_id)
        return list(session.exec(query))


def close_task(engine: Engine, task_id: int, actor: str) -> ReindexTask:
    with session_scope(engine) as session:
        task = session.get(ReindexTask, task_id)
        if task is None:
            raise SourceNotFound(f"re-index task {task_id} does not exist")
        task.status, task.closed_at = "done", utcnow()
        session.add(task)
        audit(session, actor, "source.reindex.done", task.source_id, None, task)
        return task


def _get(session: Session, source_id: str) -> RagSource:
    source = session.get(RagSource, source_id)
    if source is None:
        raise SourceNotFound(f"source {source_id!r} is not registered")
    return source
