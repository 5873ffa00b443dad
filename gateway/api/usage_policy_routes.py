"""The usage policy's registry routes: the use cases (`/registry/use-cases`) and the human-review queue of answers
(`/registry/answer-reviews`). Admin keys only; the key is recorded in the audit trail as the actor or reviewer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Literal, TypeVar

from fastapi import APIRouter, Path, Query, Request, Response
from sqlmodel import Session

from gateway.api.deps import admin_of, gateway_of
from gateway.api.openapi_bodies import body_schema
from gateway.api.registry_common import Conflict, actor_name, body_as, json_response
from gateway.errors import NotFound
from registry import review_queue, use_cases
from registry.db import session_scope
from registry.review_queue import DecisionIn
from registry.use_cases import NAME_PATTERN, StatusIn, UseCaseIn

router = APIRouter(prefix="/registry", tags=["usage policy"])
T = TypeVar("T")
Name = Annotated[str, Path(pattern=NAME_PATTERN)]
ItemId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]


async def _run(request: Request, work: Callable[[Session], T]) -> T:
    def transaction() -> T:
        with session_scope(gateway_of(request).engine) as session:
            return work(session)

    try:
        return await asyncio.to_thread(transaction)
    except LookupError as exc:
        raise NotFound(str(exc.args[0]), code="not_found") from None
    except (use_cases.UseCaseError, review_queue.ReviewError) as exc:
        raise Conflict(str(exc)) from None


async def _reload(request: Request) -> None:
    policy = gateway_of(request).policy
    if policy is not None:
        await policy.reload()  # this process enforces the change at once; others within use_case_refresh_s


@router.get("/use-cases")
async def use_case_list(request: Request) -> Response:
    await admin_of(request)
    rows = await _run(request, use_cases.list_use_cases)
    return json_response({"data": [row.view() for row in rows]})


@router.post("/use-cases", openapi_extra=body_schema(UseCaseIn))
async def use_case_create(request: Request) -> Response:
    admin = await admin_of(request)
    data = await body_as(request, UseCaseIn)
    row = await _run(request, lambda s: use_cases.create_use_case(s, actor_name(admin.key_id, admin.team), data))
    await _reload(request)
    return json_response(row.view(), 201)


@router.get("/use-cases/{name}")
async def use_case_show(request: Request, name: Name) -> Response:
    await admin_of(request)
    row = await _run(request, lambda s: use_cases.get_use_case(s, name))
    if row is None:
        raise NotFound(f"use case {name!r} does not exist", code="not_found")
    return json_response(row.view())


@router.post("/use-cases/{name}/status", openapi_extra=body_schema(StatusIn))
async def use_case_status(request: Request, name: Name) -> Response:
    admin = await admin_of(request)
    change = await body_as(request, StatusIn)
    row = await _run(request, lambda s: use_cases.set_status(s, actor_name(admin.key_id, admin.team), name, change))
    await _reload(request)
    return json_response(row.view())


@router.get("/answer-reviews")
async def review_list(request: Request,
                      status: Literal["pending", "approved", "rejected", "all"] = "pending",
                      limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> Response:
    await admin_of(request)
    wanted = None if status == "all" else status
    items = await _run(request, lambda s: review_queue.list_items(s, wanted, limit=limit))
    return json_response({"data": [item.view() for item in items]})


@router.get("/answer-reviews/{item_id}")
async def review_show(request: Request, item_id: ItemId) -> Response:
    await admin_of(request)
    item = await _run(request, lambda s: review_queue.get_item(s, item_id))
    if item is None:
        raise NotFound(f"review {item_id!r} does not exist", code="not_found")
    return json_response(item.view(full=True))


@router.post("/answer-reviews/{item_id}/{outcome}", openapi_extra=body_schema(DecisionIn, required=False))
async def review_decide(request: Request, item_id: ItemId, outcome: Literal["approve", "reject"]) -> Response:
    admin = await admin_of(request)
    decision = await body_as(request, DecisionIn) if await request.body() else DecisionIn()
    status: Literal["approved", "rejected"] = "approved" if outcome == "approve" else "rejected"
    reviewer = actor_name(admin.key_id, admin.team)
    item = await _run(request, lambda s: review_queue.decide(s, reviewer, item_id, status, decision))
    return json_response(item.view())
