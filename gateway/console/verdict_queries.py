"""Guardrail verdicts read back from the usage rows (each row keeps its verdict summaries: counts, never text)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from registry.db import session_scope
from registry.tables import Team, UsageRecord

MAX_ROWS = 20_000
"""Rates are computed over at most this many of the newest requests of the window that carry verdicts."""
NOTABLE = ("block", "flag", "mask", "error")


@dataclass(frozen=True, slots=True)
class Notable:
    request_id: str
    created_at: datetime
    team: str | None
    model: str | None
    verdicts: list[str]


@dataclass(frozen=True, slots=True)
class Verdicts:
    requests: int
    checked: int
    by_guardrail: list[tuple[str, dict[str, int]]]
    by_policy: list[tuple[str, dict[str, int]]]
    notable: list[Notable]


def verdicts(engine: Engine, since: datetime, team: str | None, notable_limit: int = 50) -> Verdicts:
    scope = [UsageRecord.created_at >= since] + ([UsageRecord.team == team] if team is not None else [])
    with session_scope(engine) as session:
        requests = int(session.exec(select(func.count()).select_from(UsageRecord).where(*scope)).one())
        rows = session.exec(select(UsageRecord).where(*scope, col(UsageRecord.guardrails).is_not(None))
                            .order_by(col(UsageRecord.created_at).desc()).limit(MAX_ROWS)).all()
        policies = {t.name: t.guardrail_policy or "default" for t in session.exec(select(Team))}
    per_guardrail: dict[str, Counter[str]] = {}
    per_policy: dict[str, Counter[str]] = {}
    notable: list[Notable] = []
    checked = 0
    for row in rows:
        summaries = [s for s in (row.guardrails or []) if isinstance(s, dict)]
        checked += bool(summaries)  # a JSON `null` is not SQL NULL on every backend: count what holds verdicts
        policy = policies.get(row.team or "", "default")
        for summary in summaries:
            action = str(summary.get("action"))
            per_guardrail.setdefault(str(summary.get("guardrail")), Counter())[action] += 1
            per_policy.setdefault(policy, Counter())[action] += 1
        hits = [f"{s.get('guardrail')}={s.get('action')}" for s in summaries if s.get("action") in NOTABLE]
        if hits and len(notable) < notable_limit:
            notable.append(Notable(row.request_id, row.created_at, row.team, row.requested_model, hits))
    return Verdicts(requests, checked, sorted((g, dict(c)) for g, c in per_guardrail.items()),
                    sorted((p, dict(c)) for p, c in per_policy.items()), notable)
