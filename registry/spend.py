"""What has been spent, for budgets: sums of usage rows over calendar periods."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.db import session_scope
from registry.tables import UsageRecord, utcnow


def period_start(period: str, now: datetime | None = None) -> datetime:
    """Start of the current UTC calendar period (`total` starts at the epoch)."""
    now = now or utcnow()
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return datetime(1970, 1, 1, tzinfo=timezone.utc)


def spent_since(engine: Engine, scope: str, subject: str, since: datetime) -> float:
    column = {"key": UsageRecord.key_id, "team": UsageRecord.team}.get(scope)
    if column is None:
        return 0.0
    with session_scope(engine) as session:
        query = select(func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(
            column == subject, UsageRecord.created_at >= since
        )
        return float(session.exec(query).one())
