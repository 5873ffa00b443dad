"""Embedding versions: which model and version an index was built with, and which are retired."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.db import session_scope
from registry.rag.audit import audit
from registry.rag.tables import EmbeddingVersion
from registry.tables import utcnow


def ensure_version(session: Session, model: str, version: str) -> EmbeddingVersion:
    """The version's row, created active when first seen."""
    row = session.get(EmbeddingVersion, (model, version))
    if row is None:
        row = EmbeddingVersion(model=model, version=version)
        session.add(row)
    return row


def set_status(engine: Engine, model: str, version: str, status: str, actor: str) -> EmbeddingVersion:
    if status not in ("active", "retired"):
        raise ValueError(f"status must be 'active' or 'retired', got {status!r}")
    with session_scope(engine) as session:
        row = ensure_version(session, model, version)
        row.status = status
        row.retired_at = utcnow() if status == "retired" else None
        session.add(row)
        session.flush()
        audit(session, actor, f"embedding.{status}", f"{model}@{version}", None, row)
        return row


def list_versions(engine: Engine) -> list[EmbeddingVersion]:
    with Session(engine) as session:
        return list(session.exec(select(EmbeddingVersion).order_by(col(EmbeddingVersion.model),
                                                                   col(EmbeddingVersion.version))))
