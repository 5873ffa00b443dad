"""A version's evidence in the console: its validation report as the same self-contained HTML page with plots that
`warden models validate --html` writes, behind the console's session; and the importance chart the model page shows."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from markupsafe import Markup
from sqlmodel import Session

from gateway.api.registry_common import in_session
from gateway.api.registry_monitoring import REPORT_CSP
from gateway.console.forms import run_page
from gateway.console.render import svg
from gateway.console.session import Viewer
from gateway.errors import BadRequest, NotFound
from registry.governance.card_evidence import version_evidence
from registry.governance.interpretability_records import InterpretabilityRecord
from registry.governance.schemas import VersionOut
from registry.monitoring.svg import horizontal_bars

router = APIRouter()


def importance_charts(versions: list[VersionOut]) -> dict[str, Markup]:
    """Per version with an interpretability record: its global importances, most important on top."""
    def chart(record: InterpretabilityRecord) -> Markup:
        return svg(horizontal_bars([(i.feature, i.importance) for i in record.ranked()], []))

    return {v.version: chart(v.interpretability) for v in versions if v.interpretability is not None}


@router.get("/console/model/validation")
async def validation_report(request: Request, name: str = "", version: str = "") -> Response:
    async def show(viewer: Viewer) -> Response:
        from registry.validation.html import render_html

        if not name or len(name) > 200 or not version or len(version) > 100:
            raise BadRequest("give a model and a version as ?name=&version=", param="name")

        def report(session: Session) -> str:
            found = version_evidence(session, viewer.actor, name, version).report  # refuses another team's model
            if found is None:
                raise NotFound(f"model {name!r} version {version!r} has no validation report", code="not_found")
            return render_html(name, version, found)

        page = await in_session(request, report)
        return Response(page, media_type="text/html; charset=utf-8",
                        headers={"content-security-policy": REPORT_CSP, "cache-control": "no-store"})

    return await run_page(request, show)
