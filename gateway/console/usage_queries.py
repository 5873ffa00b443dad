"""Usage over time and request statistics for the console, scoped like `/team/costs` (a team sees its own rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from registry.db import session_scope
from registry.tables import UsageRecord

MAX_LATENCY_ROWS = 20_000
"""Percentiles are computed over at most this many of the newest requests of the window."""


@dataclass(frozen=True, slots=True)
class Day:
    day: str
    requests: int
    tokens: int
    cost_usd: float


@dataclass(frozen=True, slots=True)
class Traffic:
    requests: int
    errors: int
    overhead_ms: dict[str, float | None]
    upstream_ms: dict[str, float | None]
    by_status: list[tuple[str, int]]

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def daily(engine: Engine, since: datetime, team: str | None) -> list[Day]:
    day = func.date(UsageRecord.created_at)
    query = select(day, func.count(), func.coalesce(func.sum(UsageRecord.prompt_tokens + UsageRecord.completion_tokens), 0),
                   func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(UsageRecord.created_at >= since)
    if team is not None:
        query = query.where(UsageRecord.team == team)
    with session_scope(engine) as session:
        rows = session.exec(query.group_by(day).order_by(day)).all()
    return [Day(str(d), int(n), int(t), float(c)) for d, n, t, c in rows]


def daily_by(engine: Engine, since: datetime, team: str | None, by: Literal["team", "model"],
             top: int = 6) -> tuple[list[str], list[tuple[str, list[float]]]]:
    """Cost per day of the `top` costliest teams or models: (their names, [(day, cost of each)])."""
    column = UsageRecord.team if by == "team" else UsageRecord.requested_model
    day = func.date(UsageRecord.created_at)
    query = select(day, column, func.coalesce(func.sum(UsageRecord.cost_usd), 0.0)).where(UsageRecord.created_at >= since)
    if team is not None:
        query = query.where(UsageRecord.team == team)
    with session_scope(engine) as session:
        rows = session.exec(query.group_by(day, column)).all()
    totals: dict[str, float] = {}
    for _, name, cost in rows:
        totals[str(name)] = totals.get(str(name), 0.0) + float(cost)
    names = sorted(totals, key=lambda n: (-totals[n], n))[:top]
    days: dict[str, list[float]] = {}
    for d, name, cost in rows:
        if str(name) in names:
            days.setdefault(str(d), [0.0] * len(names))[names.index(str(name))] += float(cost)
    return names, sorted(days.items())


def traffic(engine: Engine, since: datetime, team: str | None) -> Traffic:
    scope = [UsageRecord.created_at >= since] + ([UsageRecord.team == team] if team is not None else [])
    with session_scope(engine) as session:
        total, errors = session.exec(select(func.count(), func.coalesce(
            func.sum(case((UsageRecord.status != "ok", 1), else_=0)), 0)).where(*scope)).one()
        statuses = session.exec(select(UsageRecord.status, func.count()).where(*scope)
                                .group_by(UsageRecord.status).order_by(UsageRecord.status)).all()
        latencies = session.exec(select(UsageRecord.overhead_ms, UsageRecord.upstream_ms).where(*scope)
                                 .order_by(col(UsageRecord.created_at).desc()).limit(MAX_LATENCY_ROWS)).all()
    return Traffic(int(total), int(errors), percentiles([o for o, _ in latencies]),
                   percentiles([u for _, u in latencies]), [(str(s), int(n)) for s, n in statuses])


def percentiles(values: list[float]) -> dict[str, float | None]:
    ordered = sorted(values)

    def at(q: float) -> float | None:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}
