"""Monitoring alerts of the models the key may see, newest first (the same query as `GET /registry/alerts`)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from gateway.api.registry_common import in_session
from gateway.api.registry_monitor_queries import alert_json, alerts
from gateway.console.forms import run_page
from gateway.console.render import page
from gateway.console.session import Viewer
from registry.governance import list_models

router = APIRouter()


def _alerts(session: Session, viewer: Viewer) -> list[dict[str, object]]:
    names = None if viewer.is_admin else [m.name for m in list_models(session, viewer.actor)]
    return [alert_json(a) for a in alerts(session, names, limit=200)]


@router.get("/console/alerts")
async def alerts_page(request: Request) -> Response:
    async def show(viewer: Viewer) -> Response:
        rows = await in_session(request, lambda s: _alerts(s, viewer))
        return page(request, "alerts.html", viewer, active="alerts", alerts=rows)

    return await run_page(request, show)
