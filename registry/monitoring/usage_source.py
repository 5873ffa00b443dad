"""The gateway's usage rows as monitoring input: one LLM's requests over a window, per (team, model, prompt version).

Counts, sums and (on PostgreSQL) latency percentiles are aggregated in SQL; the per-request values the PSI/KS
comparison of `registry.monitoring.llm` needs are read as a narrow, capped selection of columns.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

import numpy as np
from sqlalchemy import Integer, case, func
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from registry.monitoring.llm import UsageRow
from registry.monitoring.timeutil import as_utc
from registry.tables import UsageRecord

UsageColumn = Literal["registry_model", "requested_model"]
PERCENTILES = (0.5, 0.95, 0.99)
# A blocked or masked answer is what users notice, so it wins when one guardrail ran at several stages.
_SEVERITY = {"block": 5, "mask": 4, "flag": 3, "annotate": 2, "error": 1, "allow": 0}


@dataclass(frozen=True, slots=True)
class UsageScope:
    """Which usage rows make up one monitored LLM, and the name/version its results are stored under.

    `column` selects by governance model (`registry_model`, optionally one `registry_version`) or by the name
    clients request (`requested_model`); `team` and `prompt_name` narrow it further.
    """

    model_name: str
    model_version: str
    column: UsageColumn
    value: str
    registry_version: str | None = None
    team: str | None = None
    prompt_name: str | None = None


class UsageCatalog(Protocol):
    """Lists the LLMs whose gateway traffic is monitored (governance plugs one in)."""

    def llm_scopes(self) -> list[UsageScope]: ...


@dataclass(frozen=True, slots=True)
class GroupStats:
    """Aggregates of one (team, model, prompt version) group over a window."""

    team: str
    model: str
    prompt_version: str | None
    requests: int
    errors: int
    latency_mean: float
    latency_p50: float
    latency_p95: float
    latency_p99: float
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    @property
    def key(self) -> tuple[str, str, str | None]:
        return self.team, self.model, self.prompt_version


def prompt_version(name: str | None, commit: str | None) -> str | None:
    """How a prompt version is named in groups: `name@commit` (short SHA), or the name alone without a commit."""
    if name is None:
        return None
    return f"{name}@{commit[:12]}" if commit else name


def _where(scope: UsageScope, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    conditions = [
        col(UsageRecord.created_at) >= as_utc(start),
        col(UsageRecord.created_at) < as_utc(end),
        getattr(UsageRecord, scope.column) == scope.value,
    ]
    if scope.registry_version is not None:
        conditions.append(col(UsageRecord.registry_version) == scope.registry_version)
    if scope.team is not None:
        conditions.append(col(UsageRecord.team) == scope.team)
    if scope.prompt_name is not None:
        conditions.append(col(UsageRecord.prompt_name) == scope.prompt_name)
    return conditions


def _is_error() -> ColumnElement[int]:
    return case((col(UsageRecord.status) == "error", 1), else_=0)


def _verdicts(guardrails: Sequence[dict[str, object]] | None) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for verdict in guardrails or ():
        name, action = str(verdict.get("guardrail", "?")), str(verdict.get("action", "allow"))
        if _SEVERITY.get(action, 0) >= _SEVERITY.get(chosen.get(name, "allow"), 0):
            chosen[name] = action
    return chosen


def usage_rows(
    session: Session, scope: UsageScope, start: datetime, end: datetime, max_rows: int = 50_000
) -> list[UsageRow]:
    """The window's requests as `UsageRow`s, the most recent `max_rows` (bounds memory on a busy gateway)."""
    query = (
        select(
            UsageRecord.created_at,
            UsageRecord.team,
            UsageRecord.requested_model,
            UsageRecord.prompt_name,
            UsageRecord.prompt_commit,
            UsageRecord.latency_ms,
            UsageRecord.prompt_tokens,
            UsageRecord.completion_tokens,
            UsageRecord.cost_usd,
            UsageRecord.status,
            UsageRecord.guardrails,
        )
        .where(*_where(scope, start, end))
        .order_by(col(UsageRecord.created_at).desc())
        .limit(max_rows)
    )
    return [
        UsageRow(
            ts=as_utc(ts),
            team=team or "-",
            model=model or "-",
            prompt_version=prompt_version(name, commit),
            latency_ms=float(latency),
            prompt_tokens=int(prompt),
            completion_tokens=int(completion),
            cost_usd=float(cost),
            error=status == "error",
            verdicts=_verdicts(guardrails),
        )
        for ts, team, model, name, commit, latency, prompt, completion, cost, status, guardrails in session.exec(query)
    ]


def usage_stats(session: Session, scope: UsageScope, start: datetime, end: datetime) -> list[GroupStats]:
    """Per-group counts, sums and latency percentiles, aggregated in SQL (percentiles in numpy on SQLite)."""
    keys = (
        col(UsageRecord.team),
        col(UsageRecord.requested_model),
        col(UsageRecord.prompt_name),
        col(UsageRecord.prompt_commit),
    )
    postgres = session.get_bind().dialect.name == "postgresql"
    extra = [func.percentile_cont(q).within_group(col(UsageRecord.latency_ms)) for q in PERCENTILES] if postgres else []
    query = (
        select(
            *keys,
            func.count(),
            func.sum(_is_error()).cast(Integer),
            func.avg(UsageRecord.latency_ms),
            func.sum(UsageRecord.prompt_tokens),
            func.sum(UsageRecord.completion_tokens),
            func.sum(UsageRecord.cost_usd),
            *extra,
        )
        .where(*_where(scope, start, end))
        .group_by(*keys)
    )
    rows = list(session.exec(query))  # type: ignore[call-overload]
    percentiles = (
        {tuple(r[:4]): tuple(r[10:13]) for r in rows} if postgres else _percentiles(session, scope, start, end)
    )
    stats: dict[tuple[str, str, str | None], GroupStats] = {}
    for row in rows:
        team, model, name, commit, n, errors, mean, prompt, completion, cost = row[:10]
        p50, p95, p99 = percentiles.get(tuple(row[:4]), (0.0, 0.0, 0.0))
        found = GroupStats(
            team or "-",
            model or "-",
            prompt_version(name, commit),
            int(n),
            int(errors or 0),
            float(mean or 0.0),
            float(p50),
            float(p95),
            float(p99),
            int(prompt or 0),
            int(completion or 0),
            float(cost or 0.0),
        )
        stats[found.key] = found
    return [stats[k] for k in sorted(stats, key=str)]


def _percentiles(
    session: Session, scope: UsageScope, start: datetime, end: datetime
) -> dict[tuple[object, ...], tuple[float, ...]]:
    # SQLite has no ordered-set aggregates: read only the keys and the latency column.
    query = select(
        UsageRecord.team,
        UsageRecord.requested_model,
        UsageRecord.prompt_name,
        UsageRecord.prompt_commit,
        UsageRecord.latency_ms,
    ).where(*_where(scope, start, end))
    values: dict[tuple[object, ...], list[float]] = defaultdict(list)
    for team, model, name, commit, latency in session.exec(query):
        values[(team, model, name, commit)].append(float(latency))
    return {key: tuple(float(v) for v in np.quantile(np.array(lat), PERCENTILES)) for key, lat in values.items()}
