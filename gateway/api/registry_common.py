"""What the registry routes share: their settings, the caller as a governance `Actor`, governance calls run off the
event loop with their errors mapped to OpenAI-style JSON, and body parsing that names the offending field."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, TypeVar

import orjson
from fastapi import Path, Request, Response
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.api.deps import gateway_of, principal_of, read_body
from gateway.config import MAX_INT64
from gateway.errors import BadRequest, NotFound, PermissionDenied, WardenError
from gateway.pipeline.context import Principal
from registry.db import session_scope
from registry.governance import Actor
from registry.governance import errors as gov
from registry.governance.identity import actor_name, key_actor  # noqa: F401 - actor_name: re-exported for the
# use-case, RAG and console routes, which record a key's audit name
from registry.monitoring.config import MonitorConfig

T = TypeVar("T")
RowId = Annotated[int, Path(ge=1, le=MAX_INT64)]
"""A table's integer id in a path: ids are BIGINT, so a larger number names nothing (and must not reach SQL)."""
M = TypeVar("M", bound=BaseModel)
JSON = "application/json"


class RegistryApiConfig(BaseModel):
    """Limits and settings of the `/registry` API (the lead may load it from the gateway config)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_batch: int = Field(default=10_000, gt=0)
    """Most prediction / ground-truth records one request may carry (413 above)."""
    max_body_bytes: int = Field(default=64 * 1024 * 1024, gt=0)
    usage_window_days: int = Field(default=30, gt=0)
    """Decommissioning migration check: requests counted over this many days."""
    decommission_webhook: str | None = None
    """Where decommissioning notices are POSTed; without one they are only logged."""
    monitor: MonitorConfig = MonitorConfig()


class Conflict(WardenError):
    status = 409
    type = "invalid_request_error"
    default_code = "conflict"


class GateRefused(Conflict):
    """A governance gate refused; the body lists every missing item (also in `error.missing`)."""

    default_code = "gate_refused"

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing

    def body(self) -> bytes:
        error = {"message": self.message, "type": self.type, "param": None, "code": self.code, "missing": self.missing}
        return orjson.dumps({"error": error})


def api_config(request: Request) -> RegistryApiConfig:
    return getattr(request.state, "registry_api", None) or RegistryApiConfig()


def engine_of(request: Request) -> Engine:
    return gateway_of(request).engine


def actor_for(principal: Principal) -> Actor:
    return key_actor(principal.key_id, principal.team, principal.is_admin, principal.person)


async def actor_of(request: Request) -> Actor:
    return actor_for(await principal_of(request))


def translate(exc: gov.GovernanceError) -> WardenError:
    if isinstance(exc, gov.GateError):
        return GateRefused(str(exc), exc.missing)
    if isinstance(exc, gov.NotFound):
        return NotFound(str(exc), code="not_found")
    if isinstance(exc, gov.PermissionDenied):
        return PermissionDenied(str(exc), code="permission_denied")
    return Conflict(str(exc))


def _in_session(engine: Engine, work: Callable[[Session], T]) -> T:
    try:
        with session_scope(engine) as session:
            return work(session)
    except gov.GovernanceError as exc:
        raise translate(exc) from None


async def in_session(request: Request, work: Callable[[Session], T]) -> T:
    """Run blocking registry work in one transaction on a worker thread; governance errors become HTTP errors."""
    return await asyncio.to_thread(_in_session, engine_of(request), work)


def _field(error: dict[str, object], prefix: str) -> str:
    where = ".".join(str(p) for p in error["loc"])  # type: ignore[attr-defined]
    return f"{prefix}.{where}" if prefix and where else prefix or where


def invalid(exc: ValidationError, prefix: str = "") -> BadRequest:
    error = exc.errors()[0]
    where = _field(error, prefix)  # type: ignore[arg-type]
    if not where:
        return BadRequest(f"invalid request body: {error['msg']}")
    return BadRequest(f"invalid value for {where!r}: {error['msg']}", param=where)


async def json_body(request: Request) -> object:
    raw = await read_body(request, api_config(request).max_body_bytes)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise BadRequest("the request body is not valid JSON", code="invalid_json") from None


async def body_as(request: Request, model: type[M]) -> M:
    data = await json_body(request)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(exc) from None


def validate_as(adapter: TypeAdapter[T], data: object, prefix: str) -> T:
    try:
        return adapter.validate_python(data)
    except ValidationError as exc:
        raise invalid(exc, prefix) from None


def plain(value: object) -> object:
    """Pydantic models (also inside lists and dicts) as JSON-ready data."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


def json_response(data: object, status: int = 200) -> Response:
    return Response(orjson.dumps(plain(data)), status_code=status, media_type=JSON)
