"""Registry route to acknowledge a monitoring alert (audited on the model's chain as the calling key)."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from gateway.api.deps import read_body
from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import RowId, actor_of, in_session, invalid, json_response
from gateway.errors import BadRequest
from registry.monitoring.acknowledge import AckIn, acknowledge_alert

router = APIRouter(tags=["registry"])
MAX_BODY = 64 * 1024


@router.post("/registry/alerts/{alert_id}/acknowledge", openapi_extra=body_schema(AckIn))
async def alert_acknowledge(request: Request, alert_id: RowId) -> Response:
    """Acknowledge an alert of a model the key may change (409 when it already is); the body may be empty."""
    actor = await actor_of(request)
    raw = await read_body(request, MAX_BODY)
    try:
        data = AckIn.model_validate(orjson.loads(raw)) if raw.strip() else AckIn()
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from None
    except ValidationError as exc:
        raise invalid(exc) from None
    return json_response(await in_session(request, lambda s: acknowledge_alert(s, actor, alert_id, data)), 201)
