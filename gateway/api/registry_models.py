"""Registry routes for the inventory: models, versions, risk classification, lifecycle phase and promotion.

Model names may contain `/`, so they are `{name:path}` parameters; `model_router` (the bare
`/registry/models/{name}` routes) must be included after every router with a longer `/registry/models/...` path.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from gateway.api.registry_common import actor_of, body_as, in_session, json_response
from gateway.api.openapi_bodies import body_schema
from registry.governance import (
    ClassificationCriteria,
    ModelIn,
    ModelUpdate,
    VersionIn,
    classify_model,
    get_classification,
    get_model,
    get_version,
    list_models,
    list_versions,
    overdue_reviews,
    register_model,
    register_version,
    update_model,
    update_version_spec,
)
from registry.governance import advance_phase, promote as promote_version
from registry.governance.specs import VersionSpec
from registry.governance.types import LifecyclePhase, ModelKind, VersionStatus

router = APIRouter(tags=["registry"])
model_router = APIRouter(tags=["registry"])
MODEL = "/registry/models/{name:path}"


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: VersionStatus


class PhaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    phase: LifecyclePhase


@router.get("/registry/models")
async def models_list(request: Request, team: str | None = None, kind: ModelKind | None = None,
                      tier: int | None = Query(default=None, ge=1, le=4), phase: LifecyclePhase | None = None,
                      status: Literal["active", "decommissioned"] | None = None) -> Response:
    """Models the key may see (its team's; every team's for an admin key)."""
    actor = await actor_of(request)
    rows = await in_session(request, lambda s: list_models(s, actor, team=team, kind=kind, tier=tier,  # type: ignore[arg-type]
                                                           phase=phase,
                                                           status=status))
    return json_response({"data": [m.model_dump(mode="json") for m in rows]})


@router.post("/registry/models", openapi_extra=body_schema(ModelIn))
async def models_register(request: Request) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, ModelIn)
    return json_response(await in_session(request, lambda s: register_model(s, actor, data)), 201)


@router.get("/registry/classification/overdue")
async def overdue(request: Request, team: str | None = None) -> Response:
    actor = await actor_of(request)
    rows = await in_session(request, lambda s: overdue_reviews(s, actor, team=team))
    return json_response({"data": [r.model_dump(mode="json") for r in rows]})


@router.get(MODEL + "/versions")
async def versions_list(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    rows = await in_session(request, lambda s: list_versions(s, actor, name))
    return json_response({"data": [v.model_dump(mode="json") for v in rows]})


@router.post(MODEL + "/versions", openapi_extra=body_schema(VersionIn))
async def versions_register(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, VersionIn)
    return json_response(await in_session(request, lambda s: register_version(s, actor, name, data)), 201)


@router.get(MODEL + "/versions/{version}")
async def version_get(request: Request, name: str, version: str) -> Response:
    """One version, by version string or by alias."""
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: get_version(s, actor, name, version)))


@router.put(MODEL + "/versions/{version}/spec", openapi_extra=body_schema(VersionSpec))
async def version_spec(request: Request, name: str, version: str) -> Response:
    actor = await actor_of(request)
    spec = await body_as(request, VersionSpec)
    return json_response(await in_session(request, lambda s: update_version_spec(s, actor, name, version, spec)))


@router.post(MODEL + "/versions/{version}/promote", openapi_extra=body_schema(StatusIn))
async def version_promote(request: Request, name: str, version: str) -> Response:
    """Change a version's status; `production` is refused (409, missing items listed) until the tier's gates hold."""
    actor = await actor_of(request)
    body = await body_as(request, StatusIn)
    out = await in_session(request, lambda s: promote_version(s, actor, name, version, body.status))
    return json_response(out)


@router.get(MODEL + "/classification")
async def classification_get(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: get_classification(s, actor, name)))


@router.post(MODEL + "/classification", openapi_extra=body_schema(ClassificationCriteria))
async def classification_set(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    criteria = await body_as(request, ClassificationCriteria)
    return json_response(await in_session(request, lambda s: classify_model(s, actor, name, criteria)))


@router.post(MODEL + "/phase", openapi_extra=body_schema(PhaseIn))
async def phase_set(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    body = await body_as(request, PhaseIn)
    return json_response(await in_session(request, lambda s: advance_phase(s, actor, name, body.phase)))


@model_router.get(MODEL)
async def model_get(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: get_model(s, actor, name)))


@model_router.patch(MODEL, openapi_extra=body_schema(ModelUpdate))
async def model_update(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    data = await body_as(request, ModelUpdate)
    return json_response(await in_session(request, lambda s: update_model(s, actor, name, data)))
