"""Stored Responses (`store: true` on `/v1/responses`): the conversation so far and the answer, PII-masked, per
team, until the caller's policy retention ends. Only masked text reaches this table (see `gateway.api.responses_store`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, delete
from sqlalchemy.engine import Engine
from sqlmodel import Field, SQLModel, select

from registry.db import session_scope
from registry.tables import utcnow


class StoredResponse(SQLModel, table=True):
    """One Response; `input_items` is the whole conversation before it, so a follow-up needs one lookup."""

    __tablename__ = "stored_responses"
    __table_args__ = (Index("ix_stored_responses_team_created", "team", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    team: str | None = Field(default=None, max_length=128)
    created_at: datetime = Field(default_factory=utcnow)
    retention_until: datetime = Field(index=True)
    input_items: list[object] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    response: dict[str, object] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


def save_response(engine: Engine, row: StoredResponse) -> None:
    with session_scope(engine) as session:
        session.add(row)


def get_response(engine: Engine, response_id: str, team: str | None) -> StoredResponse | None:
    """The response if it belongs to `team` (None: stored by an admin key, which has no team)."""
    query = select(StoredResponse).where(StoredResponse.id == response_id, StoredResponse.team == team,
                                         StoredResponse.retention_until > utcnow())  # type: ignore[arg-type]
    with session_scope(engine) as session:
        return session.exec(query).first()


def delete_response(engine: Engine, response_id: str, team: str | None) -> bool:
    with session_scope(engine) as session:
        statement = delete(StoredResponse).where(StoredResponse.id == response_id,  # type: ignore[arg-type]
                                                 StoredResponse.team == team)  # type: ignore[arg-type]
        return bool(session.exec(statement).rowcount)  # type: ignore[call-overload]


def purge_expired_responses(engine: Engine, now: datetime | None = None) -> int:
    moment = now or utcnow()
    with session_scope(engine) as session:
        statement = delete(StoredResponse).where(StoredResponse.retention_until <= moment)  # type: ignore[arg-type]
        return int(session.exec(statement).rowcount or 0)  # type: ignore[call-overload]
