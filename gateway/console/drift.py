"""A model's drift report with its plots: the same self-contained HTML report as `GET /registry/models/{name}/report`,
behind the console's session instead of a bearer key."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from gateway.api.registry_common import api_config, in_session
from gateway.api.registry_monitor_queries import reference_for
from gateway.api.registry_monitoring import REPORT_CSP
from gateway.console.forms import run_page
from gateway.console.session import Viewer
from gateway.errors import BadRequest, NotFound
from registry.governance.access import readable_model

router = APIRouter()


@router.get("/console/model/report")
async def drift_report(request: Request, name: str = "", version: str | None = None) -> Response:
    config = api_config(request).monitor

    async def show(viewer: Viewer) -> Response:
        from registry.monitoring.report import build_summary, render_html  # heavy: loaded on first report only

        if not name or len(name) > 200:
            raise BadRequest("give a model name (at most 200 characters) as ?name=", param="name")

        def summary(session: Session) -> object:
            readable_model(session, viewer.actor, name)
            reference = reference_for(session, name, version)
            if reference is None:
                raise NotFound(f"no monitoring reference registered for {name!r} version {version!r}", code="not_found")
            return build_summary(session, reference, config)

        built = await in_session(request, summary)
        return Response(render_html(built, config), media_type="text/html; charset=utf-8",  # type: ignore[arg-type]
                        headers={"content-security-policy": REPORT_CSP, "cache-control": "no-store"})

    return await run_page(request, show)
