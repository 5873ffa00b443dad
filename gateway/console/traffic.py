"""Traffic, error rate and latency percentiles (gateway overhead and upstream), scoped to the key's team."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of
from gateway.console.costs import WINDOWS, since_of
from gateway.console.forms import run_page
from gateway.console.render import page, svg
from gateway.console.session import Viewer
from gateway.console.usage_queries import daily, traffic
from registry.monitoring.svg import line_chart

router = APIRouter()


@router.get("/console/traffic")
async def traffic_page(request: Request, since: str = "1d") -> Response:
    async def show(viewer: Viewer) -> Response:
        team = viewer.team_scope()
        start = since_of(since)
        engine = gateway_of(request).engine
        stats = await asyncio.to_thread(traffic, engine, start, team)
        days = await asyncio.to_thread(daily, engine, start, team)
        chart = svg(line_chart([float(d.requests) for d in days], []))
        return page(request, "traffic.html", viewer, active="traffic", since=since, windows=WINDOWS, team=team,
                    stats=stats, days=days, chart=chart)

    return await run_page(request, show)
