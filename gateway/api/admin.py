"""Admin routes (admin keys only) and the team's own view of its costs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Literal

import orjson
from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gateway.api.deps import admin_of, gateway_of, principal_of
from gateway.api.openapi_bodies import body_schema
from gateway.config import TeamConfig
from gateway.durations import parse_duration
from gateway.errors import BadRequest, NotFound
from gateway.pipeline.context import Principal
from registry import keys as registry_keys
from registry.costs import GroupBy, cost_report
from registry.tables import ApiKey, Team, utcnow

router = APIRouter(tags=["admin"])
JSON = "application/json"


class TeamIn(TeamConfig):
    """A team as the config file declares one, plus its name."""

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")


class KeyIn(TeamConfig):
    """A key carries the same limits as a team, plus who it belongs to and how long it lives."""

    team: str | None = None
    role: Literal["admin", "team"] = "team"
    name: str | None = None
    person: str | None = Field(default=None, min_length=1, max_length=200)
    """The person holding the key: the governance audit trail shows it next to the key id."""
    expires: str | None = None


class KeyUpdate(BaseModel):
    """What can change on an existing key: the person who holds it (null un-names it)."""

    model_config = ConfigDict(extra="forbid")

    person: str | None = Field(min_length=1, max_length=200)


def _json(data: object, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type=JSON)


async def _body(request: Request, model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(orjson.loads(await request.body()))
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise BadRequest(f"invalid value for {where!r}: {error['msg']}", param=where) from None


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return utcnow() - parse_duration(value)
    except (ValueError, OverflowError) as exc:
        raise BadRequest(str(exc), param="since") from None


def _by(value: str) -> GroupBy:
    if value not in ("team", "key", "model", "prompt", "prompt-version"):
        raise BadRequest(f"invalid value for 'by': {value!r}", param="by")
    return value  # type: ignore[return-value]


@router.get("/admin/costs")
async def admin_costs(request: Request, by: str = "team", since: str | None = None, team: str | None = None,
                      _: Principal = Depends(admin_of)) -> Response:
    gw = gateway_of(request)
    report = await asyncio.to_thread(cost_report, gw.engine, _by(by), since=_since(since), team=team)
    return _json(report.as_dict())


@router.get("/team/costs")
async def team_costs(request: Request, by: str = "model", since: str | None = None) -> Response:
    """A team key's own spend; it can never name another team."""
    principal = await principal_of(request)
    gw = gateway_of(request)
    if principal.team is None:
        raise BadRequest("this key belongs to no team; use /admin/costs", code="no_team")
    report = await asyncio.to_thread(cost_report, gw.engine, _by(by), since=_since(since), team=principal.team)
    return _json(report.as_dict())


@router.get("/admin/teams")
async def admin_list_teams(request: Request, _: Principal = Depends(admin_of)) -> Response:
    teams = await asyncio.to_thread(registry_keys.list_teams, gateway_of(request).engine)
    return _json({"data": [_team(t) for t in teams]})


@router.post("/admin/teams", openapi_extra=body_schema(TeamIn))
async def admin_create_team(request: Request, _: Principal = Depends(admin_of)) -> Response:
    body = await _body(request, TeamIn)
    try:
        team = await asyncio.to_thread(registry_keys.create_team, gateway_of(request).engine,
                                       **body.model_dump())
    except registry_keys.RegistryError as exc:
        raise BadRequest(str(exc), code="team_exists") from None
    return _json(_team(team), 201)


@router.get("/admin/keys")
async def admin_list_keys(request: Request, team: str | None = None, _: Principal = Depends(admin_of)) -> Response:
    rows = await asyncio.to_thread(registry_keys.list_keys, gateway_of(request).engine, team)
    return _json({"data": [_key(k) for k in rows]})


@router.post("/admin/keys", openapi_extra=body_schema(KeyIn))
async def admin_create_key(request: Request, _: Principal = Depends(admin_of)) -> Response:
    body = await _body(request, KeyIn)
    fields = body.model_dump(exclude={"expires"})
    try:
        expires_in = parse_duration(body.expires) if body.expires else None
    except ValueError as exc:
        raise BadRequest(str(exc), param="expires") from None
    try:
        row, plain = await asyncio.to_thread(registry_keys.create_key, gateway_of(request).engine,
                                             expires_in=expires_in, **fields)
    except (registry_keys.RegistryError, ValueError) as exc:
        raise BadRequest(str(exc)) from None
    return _json({**_key(row), "key": plain}, 201)


@router.patch("/admin/keys/{key_id}", openapi_extra=body_schema(KeyUpdate))
async def admin_update_key(request: Request, key_id: str, _: Principal = Depends(admin_of)) -> Response:
    gw = gateway_of(request)
    body = await _body(request, KeyUpdate)
    try:
        row = await asyncio.to_thread(registry_keys.set_person, gw.engine, key_id, body.person)  # type: ignore[attr-defined]
    except registry_keys.RegistryError as exc:
        raise NotFound(str(exc), code="key_not_found") from None
    gw.keys.invalidate()
    return _json(_key(row))


@router.delete("/admin/keys/{key_id}")
async def admin_revoke_key(request: Request, key_id: str, _: Principal = Depends(admin_of)) -> Response:
    gw = gateway_of(request)
    try:
        row = await asyncio.to_thread(registry_keys.revoke_key, gw.engine, key_id)
    except registry_keys.RegistryError as exc:
        raise NotFound(str(exc), code="key_not_found") from None
    gw.keys.invalidate()
    return _json(_key(row))


def _team(team: Team) -> dict[str, object]:
    return team.model_dump(mode="json")


def _key(key: ApiKey) -> dict[str, object]:
    return key.model_dump(mode="json", exclude={"key_hash"})
