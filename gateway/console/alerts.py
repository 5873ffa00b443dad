"""Monitoring alerts of the models the key may see, newest first (the same query as `GET /registry/alerts`), each
with its acknowledgement; acknowledging goes through the function `POST /registry/alerts/{id}/acknowledge` calls."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from gateway.api.registry_common import RowId, in_session
from gateway.api.registry_monitor_queries import alert_json, alerts
from gateway.console.forms import read_form, run_page
from gateway.console.render import page, redirect
from gateway.console.session import Viewer
from registry.governance import list_models
from registry.monitoring.acknowledge import AckIn, acknowledge_alert, acknowledgements

router = APIRouter()


def _alerts(session: Session, viewer: Viewer) -> list[dict[str, object]]:
    names = None if viewer.is_admin else [m.name for m in list_models(session, viewer.actor)]
    rows = alerts(session, names, limit=200)
    acks = acknowledgements(session, rows)
    return [{**alert_json(a), "ack": acks.get(a.id)} for a in rows]  # type: ignore[arg-type]


@router.get("/console/alerts")
async def alerts_page(request: Request) -> Response:
    async def show(viewer: Viewer) -> Response:
        rows = await in_session(request, lambda s: _alerts(s, viewer))
        return page(request, "alerts.html", viewer, active="alerts", alerts=rows)

    return await run_page(request, show)


@router.post("/console/alerts/{alert_id}/acknowledge")
async def acknowledge(request: Request, alert_id: RowId) -> Response:
    async def act(viewer: Viewer) -> Response:
        form = await read_form(request, viewer)
        data = AckIn(note=form.get("note", "").strip()[:2000] or None)
        await in_session(request, lambda s: acknowledge_alert(s, viewer.actor, alert_id, data))
        return redirect("/console/alerts")

    return await run_page(request, act)
