"""A version's interpretability record over REST: PUT records it (audited), GET reads it. Computing permutation
importances needs the model file, so `warden models explain` does that on the operator's side."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import actor_of, body_as, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.errors import NotFound
from registry.governance.interpretability import get_interpretability, set_interpretability
from registry.governance.interpretability_records import InterpretabilityRecord

router = APIRouter(tags=["registry"])
PATH = MODEL + "/versions/{version}/interpretability"


@router.put(PATH, openapi_extra=body_schema(InterpretabilityRecord))
async def interpretability_put(request: Request, name: str, version: str) -> Response:
    """Record how the version is explained: method, global feature importances, the artefact's URI and checksum."""
    actor = await actor_of(request)
    record = await body_as(request, InterpretabilityRecord)
    return json_response(await in_session(request, lambda s: set_interpretability(s, actor, name, version, record)))


@router.get(PATH)
async def interpretability_get(request: Request, name: str, version: str) -> Response:
    actor = await actor_of(request)
    record = await in_session(request, lambda s: get_interpretability(s, actor, name, version))
    if record is None:
        raise NotFound(f"model {name!r} version {version!r} has no interpretability record", code="not_found")
    return json_response(record)
