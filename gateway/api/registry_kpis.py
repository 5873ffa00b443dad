"""`POST /registry/models/{name}/kpis`: business-KPI values (phase 6), judged against the charter's alert levels,
stored beside the model metrics and alerted through the monitor's webhooks. A write: the model's team or an admin."""

from __future__ import annotations

import asyncio
from dataclasses import asdict

from fastapi import APIRouter, Request, Response

from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import actor_of, api_config, body_as, engine_of, json_response, translate
from gateway.api.registry_models import MODEL
from gateway.errors import BadRequest
from registry.governance.errors import GovernanceError
from registry.monitoring.kpis import KpiInputError, KpiPush

router = APIRouter(tags=["registry"])
EXAMPLE = {"version": "2", "values": [{"name": "approval rate", "value": 0.61, "at": "2030-01-31T00:00:00Z"}]}


@router.post(MODEL + "/kpis", openapi_extra=body_schema(KpiPush, example=EXAMPLE))
async def kpis_push(request: Request, name: str) -> Response:
    from registry.monitoring.alerts import AlertDispatcher
    from registry.monitoring.kpis import push_kpis

    actor = await actor_of(request)
    push = await body_as(request, KpiPush)
    monitor = api_config(request).monitor
    dispatcher = AlertDispatcher(monitor.webhooks, monitor.actions.dedup_window_seconds)
    try:
        results = await asyncio.to_thread(push_kpis, engine_of(request), actor, name, push, dispatcher)
    except KpiInputError as exc:
        raise BadRequest(str(exc), code="invalid_kpi") from None
    except GovernanceError as exc:  # not found, not the caller's team: mapped like every registry call
        raise translate(exc) from None
    return json_response({"data": [asdict(r) for r in results]})
