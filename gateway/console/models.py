"""The model registry: inventory, pending reviews, overdue reclassifications, decommissioning; and one model's card,
versions, reviews, audit trail (verified for admins) and drift results. Reads go through the governance functions
the `/registry` API uses, so a team key sees its own team's models only."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from gateway.api.registry_common import in_session
from gateway.api.registry_monitor_queries import monitoring_status
from gateway.console.forms import run_page
from gateway.console.render import page, svg
from gateway.console.session import Viewer
from gateway.console.validation import importance_charts
from gateway.errors import BadRequest
from registry.governance import get_model, list_entries, list_models, list_reviews, list_versions, overdue_reviews, verify
from registry.governance.review import review_queue, reviewer_roles
from registry.monitoring.svg import horizontal_bars

router = APIRouter()


def _inventory(session: Session, viewer: Viewer) -> dict[str, object]:
    models = list_models(session, viewer.actor)
    pending = {r.id: r for m in models for r in list_reviews(session, viewer.actor, m.name) if r.stage != "decided"}
    pending.update({r.id: r for r in review_queue(session, viewer.actor)})
    return {"models": models, "readable": {m.name for m in models}, "pending": sorted(pending.values(), key=lambda r: r.id),
            "roles": sorted(reviewer_roles(session, viewer.actor.name)), "overdue": overdue_reviews(session, viewer.actor),
            "decommissioning": [m for m in models if m.decommission is not None]}


def _detail(session: Session, viewer: Viewer, name: str) -> dict[str, object]:
    model = get_model(session, viewer.actor, name)  # refuses a model of another team, as the API does
    status = monitoring_status(session, model.name)
    results = status["results"]
    drift = [(f"{r['version']} {r['check']} {r['subject']}"[:40], float(r["value"]))  # type: ignore[index]
             for r in results if r["value"] is not None]  # type: ignore[index,union-attr]
    listed = list_versions(session, viewer.actor, model.name)
    return {
        "model": model,
        "card": model.model_card.model_dump(mode="json", exclude_none=True) if model.model_card else None,
        "versions": listed,
        "importance_charts": importance_charts(listed),
        "reviews": list_reviews(session, viewer.actor, model.name),
        "roles": sorted(reviewer_roles(session, viewer.actor.name)),
        "audit": list_entries(session, chain=model.name, limit=50),
        "verified": verify(session, model.name) if viewer.is_admin else None,
        "monitoring": status,
        "drift_chart": svg(horizontal_bars(drift, [])) if drift else None,
    }


@router.get("/console/models")
async def models_page(request: Request) -> Response:
    async def show(viewer: Viewer) -> Response:
        data = await in_session(request, lambda s: _inventory(s, viewer))
        return page(request, "models.html", viewer, active="models", **data)

    return await run_page(request, show)


@router.get("/console/model")
async def model_page(request: Request, name: str = "") -> Response:
    async def show(viewer: Viewer) -> Response:
        if not name or len(name) > 200:
            raise BadRequest("give a model name (at most 200 characters) as ?name=", param="name")
        data = await in_session(request, lambda s: _detail(s, viewer, name))
        return page(request, "model.html", viewer, active="models", **data)

    return await run_page(request, show)
