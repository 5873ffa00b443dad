"""Registry routes that decide what serves: aliases (moved atomically) and rollout plans (canary, blue-green,
shadow)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict

from gateway.api.registry_common import actor_of, body_as, in_session, json_response
from gateway.api.registry_models import MODEL
from gateway.api.openapi_bodies import body_schema
from registry.governance import (
    RolloutPlan,
    clear_rollout,
    get_rollout,
    remove_alias,
    set_alias,
    set_rollout,
    switch_blue_green,
)
from registry.monitoring.rollback import RollbackIn, rollback_model

router = APIRouter(tags=["registry"])


class AliasIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str


@router.put(MODEL + "/aliases/{alias}", openapi_extra=body_schema(AliasIn))
async def alias_set(request: Request, name: str, alias: str) -> Response:
    """Point `alias` at a version (a single-row update: readers see the old target or the new one)."""
    actor = await actor_of(request)
    body = await body_as(request, AliasIn)
    return json_response(await in_session(request, lambda s: set_alias(s, actor, name, alias, body.version)))


@router.delete(MODEL + "/aliases/{alias}")
async def alias_remove(request: Request, name: str, alias: str) -> Response:
    actor = await actor_of(request)
    await in_session(request, lambda s: remove_alias(s, actor, name, alias))
    return Response(status_code=204)


@router.get(MODEL + "/rollout")
async def rollout_get(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: get_rollout(s, actor, name)))


@router.put(MODEL + "/rollout", openapi_extra=body_schema(RolloutPlan))
async def rollout_set(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    plan = await body_as(request, RolloutPlan)
    return json_response(await in_session(request, lambda s: set_rollout(s, actor, name, plan)))


@router.post(MODEL + "/rollout/switch")
async def rollout_switch(request: Request, name: str) -> Response:
    """Blue-green: swap the live and idle versions (plan and alias move in one transaction)."""
    actor = await actor_of(request)
    return json_response(await in_session(request, lambda s: switch_blue_green(s, actor, name)))


@router.delete(MODEL + "/rollout")
async def rollout_clear(request: Request, name: str) -> Response:
    actor = await actor_of(request)
    await in_session(request, lambda s: clear_rollout(s, actor, name))
    return Response(status_code=204)


@router.post(MODEL + "/rollback", openapi_extra=body_schema(RollbackIn))
async def rollback(request: Request, name: str) -> Response:
    """Take traffic off a failing version now (alias back to the previous production version, or end the canary
    it is the candidate of); audited as `model.alias.rollback` with the reason."""
    actor = await actor_of(request)
    body = await body_as(request, RollbackIn)
    done = await in_session(request, lambda s: rollback_model(s, actor, name, body))
    return json_response(asdict(done))
