"""Cost reports: spend, tokens and request counts grouped by team, key, model or prompt.

Every figure is a SQL sum over usage rows, so report totals always equal the rows they summarise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from sqlalchemy import case, func
from sqlalchemy.engine import Engine
from sqlmodel import select

from registry.db import session_scope
from registry.tables import UsageRecord

GroupBy = Literal["team", "key", "model", "prompt", "prompt-version"]

_COLUMNS = {
    "team": (UsageRecord.team,),
    "key": (UsageRecord.key_id,),
    "model": (UsageRecord.requested_model,),
    "prompt": (UsageRecord.prompt_name,),
    "prompt-version": (UsageRecord.prompt_name, UsageRecord.prompt_commit),
}
_NAMES = {
    "team": ("team",), "key": ("key_id",), "model": ("model",), "prompt": ("prompt",),
    "prompt-version": ("prompt", "prompt_commit"),
}


@dataclass(slots=True)
class CostRow:
    group: dict[str, str | None]
    requests: int = 0
    errors: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    models: list[CostRow] = field(default_factory=list)
    """For a report by team: the same figures per model within the team."""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {**self.group, "requests": self.requests, "errors": self.errors,
                                  "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                                  "cost_usd": round(self.cost_usd, 8)}
        if self.models:
            out["models"] = [m.as_dict() for m in self.models]
        return out


@dataclass(slots=True)
class CostReport:
    by: GroupBy
    since: datetime | None
    rows: list[CostRow]
    total: CostRow

    def as_dict(self) -> dict[str, object]:
        return {"by": self.by, "since": self.since.isoformat() if self.since else None,
                "rows": [r.as_dict() for r in self.rows], "total": self.total.as_dict()}


def cost_report(engine: Engine, by: GroupBy, *, since: datetime | None = None, team: str | None = None) -> CostReport:
    """Spend grouped by `by`. With `team`, only that team's rows are read (a team key's view)."""
    rows = _grouped(engine, _COLUMNS[by], _NAMES[by], since, team)
    if by == "team":
        per_model = _grouped(engine, (UsageRecord.team, UsageRecord.requested_model), ("team", "model"), since, team)
        for row in rows:
            row.models = [m for m in per_model if m.group["team"] == row.group["team"]]
    total = _grouped(engine, (), (), since, team)
    return CostReport(by, since, rows, total[0] if total else CostRow(group={}))


def _grouped(
    engine: Engine,
    columns: tuple[object, ...],
    names: tuple[str, ...],
    since: datetime | None,
    team: str | None,
) -> list[CostRow]:
    query = select(
        *columns,
        func.count(),
        func.sum(case((UsageRecord.status != "ok", 1), else_=0)),
        func.coalesce(func.sum(UsageRecord.prompt_tokens), 0),
        func.coalesce(func.sum(UsageRecord.completion_tokens), 0),
        func.coalesce(func.sum(UsageRecord.cost_usd), 0.0),
    )
    if since is not None:
        query = query.where(UsageRecord.created_at >= since)
    if team is not None:
        query = query.where(UsageRecord.team == team)
    if columns:
        query = query.group_by(*columns).order_by(func.sum(UsageRecord.cost_usd).desc(), *columns)
    out = []
    with session_scope(engine) as session:
        for values in session.exec(query):
            keys, (count, errors, prompt, completion, cost) = values[: len(names)], values[len(names) :]
            out.append(CostRow(dict(zip(names, keys, strict=True)), int(count), int(errors or 0), int(prompt),
                               int(completion), float(cost)))
    return out
