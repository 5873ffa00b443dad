"""Guardrail verdict rates per guardrail and per policy, the blocked and flagged requests, and one request's
exchange as the log keeps it (masked), scoped to the key's team."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response

from gateway.api.deps import gateway_of
from gateway.console.costs import WINDOWS, since_of
from gateway.console.forms import run_page
from gateway.console.render import page
from gateway.console.session import Viewer
from gateway.console.verdict_queries import verdicts
from gateway.errors import BadRequest, NotFound
from registry.exchanges import get_exchange

router = APIRouter()


@router.get("/console/guardrails")
async def guardrails_page(request: Request, since: str = "7d") -> Response:
    async def show(viewer: Viewer) -> Response:
        team = viewer.team_scope()
        found = await asyncio.to_thread(verdicts, gateway_of(request).engine, since_of(since), team)
        return page(request, "guardrails.html", viewer, active="guardrails", since=since, windows=WINDOWS, team=team,
                    v=found)

    return await run_page(request, show)


@router.get("/console/exchange")
async def exchange_page(request: Request, request_id: str = "") -> Response:
    async def show(viewer: Viewer) -> Response:
        if not request_id or len(request_id) > 64:
            raise BadRequest("give a request id (at most 64 characters) as ?request_id=", param="request_id")
        team = viewer.team_scope()
        row = await asyncio.to_thread(get_exchange, gateway_of(request).engine, request_id, team)
        if row is None:
            raise NotFound(f"no logged exchange {request_id!r} (its policy may not log bodies, or it has expired)",
                           code="exchange_not_found")
        return page(request, "exchange.html", viewer, active="guardrails", exchange=row)

    return await run_page(request, show)
