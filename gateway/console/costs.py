"""Costs and tokens over time per team, model and prompt version, with budgets and their consumption."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy.engine import Engine

from gateway.api.deps import gateway_of
from gateway.console.forms import run_page
from gateway.console.render import page, svg
from gateway.console.session import Viewer
from gateway.console.usage_queries import daily, daily_by
from gateway.durations import parse_duration
from gateway.errors import BadRequest
from registry.costs import cost_report
from registry.keys import get_team, list_teams
from registry.monitoring.svg import horizontal_bars, line_chart
from registry.spend import period_start, spent_since
from registry.tables import utcnow

router = APIRouter()
WINDOWS = ("1d", "7d", "30d", "90d")


@dataclass(frozen=True, slots=True)
class Budget:
    team: str
    limit_usd: float
    period: str
    spent_usd: float

    @property
    def used(self) -> float:
        return self.spent_usd / self.limit_usd if self.limit_usd else 0.0


def since_of(window: str) -> datetime:
    if window not in WINDOWS:
        raise BadRequest(f"invalid value for 'since': {window!r} (one of {', '.join(WINDOWS)})", param="since")
    return utcnow() - parse_duration(window)


def budgets(engine: Engine, team: str | None) -> list[Budget]:
    teams = [t for t in ([get_team(engine, team)] if team is not None else list_teams(engine)) if t is not None]
    return [Budget(t.name, t.budget_usd, t.budget_period,
                   spent_since(engine, "team", t.name, period_start(t.budget_period)))
            for t in teams if t.budget_usd is not None]


def _gather(engine: Engine, since: datetime, team: str | None) -> dict[str, object]:
    """Everything the page shows; `team` None (admin keys only) means every team."""
    days = daily(engine, since, team)
    by_model = cost_report(engine, "model", since=since, team=team)
    return {
        "by_team": cost_report(engine, "team", since=since, team=team).rows,
        "by_model": by_model.rows,
        "by_prompt": cost_report(engine, "prompt-version", since=since, team=team).rows,
        "total": by_model.total,
        "days": days,
        "per_model": daily_by(engine, since, team, "model"),
        "per_team": daily_by(engine, since, team, "team") if team is None else None,
        "budgets": budgets(engine, team),
        "cost_chart": svg(line_chart([d.cost_usd for d in days], [])),
        "token_chart": svg(line_chart([float(d.tokens) for d in days], [])),
        "model_chart": svg(horizontal_bars([(str(r.group["model"]), r.cost_usd) for r in by_model.rows[:12]], [])),
    }


@router.get("/console/costs")
async def costs_page(request: Request, since: str = "30d") -> Response:
    async def show(viewer: Viewer) -> Response:
        team = viewer.team_scope()
        data = await asyncio.to_thread(_gather, gateway_of(request).engine, since_of(since), team)
        return page(request, "costs.html", viewer, active="costs", since=since, windows=WINDOWS, team=team, **data)

    return await run_page(request, show)
