"""The gateway's usage rows as the registry's decommissioning check reads them: when a model was last
called and how often in the last N days (matched by registry model, or by gateway model name; one version of a
registry model when asked)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, func, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.governance.decommission_records import UsageLookup, UsageStats
from registry.tables import UsageRecord, utcnow


def usage_lookup(engine: Engine, days: int = 30) -> UsageLookup:
    def lookup(model_name: str, version: str | None = None) -> UsageStats:
        matches = or_(UsageRecord.registry_model == model_name, UsageRecord.requested_model == model_name)
        if version is not None:
            matches = and_(UsageRecord.registry_model == model_name, UsageRecord.registry_version == version)
        since = utcnow() - timedelta(days=days)
        with Session(engine) as session:
            last = session.exec(select(func.max(UsageRecord.created_at)).where(matches)).one()
            count = session.exec(select(func.count()).where(matches, UsageRecord.created_at >= since,
                                                            UsageRecord.endpoint != "shadow")).one()
        return UsageStats(last, int(count))

    return lookup
