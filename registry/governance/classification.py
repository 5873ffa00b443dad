"""Recording risk classifications, flagging reviews as due, and listing the overdue ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registry.governance.access import readable_model, record_change, writable_model
from registry.governance.classify import ClassificationCriteria, classify
from registry.governance.schemas import ClassificationRecord, OverdueReview
from registry.governance.tables import GovModel
from registry.governance.types import Actor, stamp

REVIEW_INTERVAL = timedelta(days=365)


def classify_model(
    session: Session, actor: Actor, name: str, criteria: ClassificationCriteria, now: datetime | None = None
) -> ClassificationRecord:
    """Score the criteria, store result and justification, and schedule the next yearly review."""
    row = writable_model(session, actor, name)
    at = stamp(now)
    record = ClassificationRecord(
        criteria=criteria, result=classify(criteria), classified_by=actor.name, classified_at=at
    )
    before = {"tier": row.risk_tier, "eu_class": row.eu_class, "reasons": row.review_reasons}
    row.classification = record.model_dump(mode="json")
    row.risk_tier, row.eu_class, row.prohibited = record.result.tier, criteria.eu_ai_act, record.result.prohibited
    row.review_due_at, row.review_reasons = at + REVIEW_INTERVAL, []
    after = {
        "tier": row.risk_tier,
        "eu_class": row.eu_class,
        "score": record.result.score,
        "criteria": criteria.model_dump(),
    }
    record_change(session, actor, row, "model.classify", before=before, after=after, at=at)
    return record


def get_classification(session: Session, actor: Actor, name: str) -> ClassificationRecord | None:
    row = readable_model(session, actor, name)
    return None if row.classification is None else ClassificationRecord.model_validate(row.classification)


def mark_significant_change(
    session: Session, actor: Actor, row: GovModel, reason: str, now: datetime | None = None
) -> None:
    """A significant change makes the classification due immediately (it shows in `overdue_reviews`)."""
    at = stamp(now)
    row.review_reasons = [*row.review_reasons, reason]
    row.review_due_at = at if row.review_due_at is None else min(row.review_due_at, at)
    after = {"reason": reason, "due_at": row.review_due_at.isoformat()}
    record_change(session, actor, row, "model.reclassification_due", after=after, at=at)


def overdue_reviews(
    session: Session, actor: Actor, now: datetime | None = None, team: str | None = None
) -> list[OverdueReview]:
    """Active models whose classification is due (yearly review passed, significant change, never classified)."""
    at = stamp(now)
    query = select(GovModel).where(GovModel.status == "active", col(GovModel.review_due_at) <= at)
    if not actor.admin:
        query = query.where(col(GovModel.team).in_(sorted(actor.teams)))
    if team is not None:
        query = query.where(GovModel.team == team)
    rows = session.exec(query.order_by(col(GovModel.review_due_at), col(GovModel.name)))
    return [_overdue(row) for row in rows]


def _overdue(row: GovModel) -> OverdueReview:
    reasons = row.review_reasons or ["yearly review"]
    return OverdueReview(model=row.name, team=row.team, tier=row.risk_tier, due_at=row.review_due_at, reasons=reasons)
