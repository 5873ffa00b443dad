"""Human review of answers: a queue of masked exchanges that reviewers approve or reject.

Queuing and every decision are appended to the audit trail (chain `usage-policy`); the decision records the
reviewer and the delay between the answer and the decision.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import JSON, Column, Index, func
from sqlalchemy.engine import Engine
from sqlmodel import Field as Column_, Session, SQLModel, select

from registry.db import session_scope
from registry.governance import audit
from registry.governance.types import as_utc
from registry.tables import new_row_id, utcnow
from registry.use_cases import POLICY_CHAIN

ReviewStatus = Literal["pending", "approved", "rejected"]


class ReviewError(ValueError):
    """A decision that cannot be taken (already decided); the message says why."""


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=4000)


class ReviewItem(SQLModel, table=True):
    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_status_created", "status", "created_at"),)

    id: str = Column_(default_factory=new_row_id, primary_key=True, max_length=64)
    request_id: str = Column_(index=True, max_length=128)
    created_at: datetime = Column_(default_factory=utcnow)
    team: str | None = Column_(default=None, max_length=128)
    key_id: str | None = Column_(default=None, max_length=32)
    use_case: str = Column_(max_length=128)
    model: str | None = Column_(default=None, max_length=256)
    deployment: str | None = Column_(default=None, max_length=256)
    exchange: dict[str, object] = Column_(default_factory=dict, sa_column=Column(JSON, nullable=False))
    """The request's messages and the answer, PII-masked before the row is built."""
    status: str = Column_(default="pending", max_length=16)
    reviewer: str | None = Column_(default=None, max_length=200)
    decided_at: datetime | None = None
    delay_s: float | None = None
    note: str = ""

    def view(self, full: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id, "request_id": self.request_id, "created_at": as_utc(self.created_at).isoformat(),
            "team": self.team, "use_case": self.use_case, "model": self.model, "deployment": self.deployment,
            "status": self.status, "reviewer": self.reviewer,
            "decided_at": as_utc(self.decided_at).isoformat() if self.decided_at else None,
            "delay_s": self.delay_s, "note": self.note}
        if full:
            out["exchange"] = self.exchange
        return out


def enqueue(engine: Engine, item: ReviewItem) -> None:
    with session_scope(engine) as session:
        session.add(item)
        session.flush()
        audit.append(session, actor="gateway", chain=POLICY_CHAIN, action="review.queued", subject=item.id,
                     after={"request_id": item.request_id, "use_case": item.use_case, "team": item.team})


def decide(session: Session, reviewer: str, item_id: str, outcome: Literal["approved", "rejected"],
           decision: DecisionIn) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise LookupError(f"review {item_id!r} does not exist")
    if item.status != "pending":
        raise ReviewError(f"review {item_id!r} was already {item.status} by {item.reviewer}")
    now = utcnow()
    item.status, item.reviewer, item.decided_at, item.note = outcome, reviewer, now, decision.note
    item.delay_s = round((now - as_utc(item.created_at)).total_seconds(), 3)
    session.add(item)
    session.flush()
    audit.append(session, actor=reviewer, chain=POLICY_CHAIN, action=f"review.{outcome[:-1]}", subject=item.id,
                 before={"status": "pending"},
                 after={"status": outcome, "request_id": item.request_id, "use_case": item.use_case,
                        "delay_s": item.delay_s, "note": decision.note})
    return item


def list_items(session: Session, status: ReviewStatus | None = "pending", team: str | None = None,
               limit: int = 100) -> list[ReviewItem]:
    query = select(ReviewItem).order_by(ReviewItem.created_at)  # type: ignore[arg-type]
    if status is not None:
        query = query.where(ReviewItem.status == status)
    if team is not None:
        query = query.where(ReviewItem.team == team)
    return list(session.exec(query.limit(limit)))


def get_item(session: Session, item_id: str) -> ReviewItem | None:
    return session.get(ReviewItem, item_id)


def backlog(engine: Engine) -> tuple[int, datetime | None]:
    """Pending reviews and when the oldest was queued."""
    with session_scope(engine) as session:
        count, oldest = session.exec(  # type: ignore[call-overload]
            select(func.count(), func.min(ReviewItem.created_at)).where(ReviewItem.status == "pending")).one()
    return int(count), as_utc(oldest) if oldest is not None else None
