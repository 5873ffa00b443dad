"""The exchange log: a request's body and its answers, PII-masked, kept beside its usage row for audit until the
policy's retention period ends. Only masked text reaches this table (see `gateway.exchange_log`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import JSON, Column, Index, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, select

from registry.db import session_scope
from registry.tables import utcnow


class Exchange(SQLModel, table=True):
    """One request/response pair, masked. `request_id` is the usage row's."""

    __tablename__ = "exchanges"
    __table_args__ = (Index("ix_exchanges_team_created", "team", "created_at"),)

    request_id: str = Field(primary_key=True, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    team: str | None = Field(default=None, max_length=128)
    policy: str | None = Field(default=None, max_length=128)
    retention_until: datetime = Field(index=True)
    request_json: dict[str, object] | None = Field(default=None, sa_column=Column(JSON))
    response_json: dict[str, object] | None = Field(default=None, sa_column=Column(JSON))


def store_exchanges(engine: Engine, rows: Sequence[Exchange]) -> int:
    """Insert rows whose request id is not stored yet (a retried batch adds nothing twice); returns how many."""
    if not rows:
        return 0
    unique = {row.request_id: row for row in rows}
    with session_scope(engine) as session:
        present = set(session.exec(select(Exchange.request_id).where(Exchange.request_id.in_(list(unique)))))
        fresh = [Exchange(**row.model_dump()) for rid, row in unique.items() if rid not in present]
        session.add_all(fresh)
        return len(fresh)


def get_exchange(engine: Engine, request_id: str, team: str | None = None) -> Exchange | None:
    """The exchange of `request_id`; with `team`, only if it belongs to that team (a team key sees its own)."""
    query = select(Exchange).where(Exchange.request_id == request_id)
    if team is not None:
        query = query.where(Exchange.team == team)
    with session_scope(engine) as session:
        return session.exec(query).first()


def purge_expired(engine: Engine, now: datetime | None = None) -> int:
    """Delete every exchange whose retention has ended; returns how many rows went."""
    moment = now or utcnow()
    with session_scope(engine) as session:
        result = session.exec(delete(Exchange).where(Exchange.retention_until <= moment))  # type: ignore[call-overload]
        return int(result.rowcount or 0)
