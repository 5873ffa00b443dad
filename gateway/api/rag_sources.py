"""`/registry/rag`: the RAG source inventory, embedding versions and re-index tasks. Any key reads; admin keys write."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Literal, TypeVar

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.api.deps import gateway_of, principal_of
from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import Conflict, RowId, actor_name, body_as, engine_of, json_response
from gateway.errors import NotFound, PermissionDenied
from registry.rag import embeddings, sources
from registry.rag.sources import SourceExists, SourceFields, SourceNotFound, SourceSpec

router = APIRouter(prefix="/registry/rag")
T = TypeVar("T")


class VersionStatus(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    model: str = Field(min_length=1, max_length=256)
    version: str = Field(min_length=1, max_length=128)
    status: Literal["active", "retired"]


async def _admin(request: Request) -> str:
    principal = await principal_of(request)
    if not principal.is_admin:
        raise PermissionDenied("only an admin key may change the RAG source inventory", code="admin_required")
    return actor_name(principal.key_id, principal.team)


async def _run(request: Request, work: Callable[[], T], *, changes: bool = False) -> T:
    try:
        result = await asyncio.to_thread(work)
    except SourceNotFound as exc:
        raise NotFound(str(exc), code="not_found") from None
    except SourceExists as exc:
        raise Conflict(str(exc)) from None
    catalog = gateway_of(request).rag
    if changes and catalog is not None:
        catalog.invalidate()
    return result


@router.get("/sources")
async def list_sources(request: Request, stale: bool = False) -> Response:
    await principal_of(request)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: sources.list_sources(engine, stale)))


@router.post("/sources", openapi_extra=body_schema(SourceSpec))
async def create_source(request: Request) -> Response:
    actor = await _admin(request)
    spec = await body_as(request, SourceSpec)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: sources.create_source(engine, spec, actor), changes=True), 201)


@router.get("/sources/{source_id}")
async def get_source(request: Request, source_id: str) -> Response:
    await principal_of(request)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: sources.get_source(engine, source_id)))


@router.patch("/sources/{source_id}", openapi_extra=body_schema(SourceFields))
async def update_source(request: Request, source_id: str) -> Response:
    actor = await _admin(request)
    fields = await body_as(request, SourceFields)
    engine = engine_of(request)
    source, task = await _run(request, lambda: sources.update_source(engine, source_id, fields, actor), changes=True)
    return json_response({"source": source.model_dump(mode="json"),
                          "reindex_task": task.model_dump(mode="json") if task else None})


@router.delete("/sources/{source_id}")
async def delete_source(request: Request, source_id: str) -> Response:
    actor = await _admin(request)
    engine = engine_of(request)
    await _run(request, lambda: sources.delete_source(engine, source_id, actor), changes=True)
    return json_response({"id": source_id, "deleted": True})


@router.get("/embeddings")
async def list_versions(request: Request) -> Response:
    await principal_of(request)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: embeddings.list_versions(engine)))


@router.post("/embeddings", openapi_extra=body_schema(VersionStatus))
async def set_version_status(request: Request) -> Response:
    actor = await _admin(request)
    body = await body_as(request, VersionStatus)
    engine = engine_of(request)
    return json_response(await _run(
        request, lambda: embeddings.set_status(engine, body.model, body.version, body.status, actor), changes=True))


@router.get("/reindex-tasks")
async def list_tasks(request: Request, status: Literal["open", "done"] | None = "open") -> Response:
    await principal_of(request)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: sources.list_tasks(engine, status)))


@router.post("/reindex-tasks/{task_id}/done")
async def close_task(request: Request, task_id: RowId) -> Response:
    actor = await _admin(request)
    engine = engine_of(request)
    return json_response(await _run(request, lambda: sources.close_task(engine, task_id, actor)))
