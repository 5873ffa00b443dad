"""OpenAI's Responses API as an adapter over the one pipeline: a Responses request becomes a chat request
(`gateway.api.responses_translate`), `pipeline.chat` runs every step, and its answer is told back as a Response."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

import orjson
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from gateway import pipeline
from gateway.api.deps import gateway_of, new_context, principal_of, read_body, response_headers
from gateway.api.openapi_bodies import body_schema
from gateway.api.responses_items import ItemPage, item_list
from gateway.api.responses_native import echoed, native_request, relayed
from gateway.api.responses_objects import ResponseObject
from gateway.api.responses_shapes import ResponsesInput, ResponsesRequest
from gateway.api.responses_store import ResponseStore
from gateway.api.responses_stream import ResponsesStream
from gateway.api.responses_translate import chat_body, chat_request, echo, render
from gateway.api.sse import SseResponse
from gateway.errors import BadRequest, WardenError
from gateway.pipeline.authenticate import authorize_model
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.pipeline.record_usage import record_usage
from gateway.providers.base import Completion, NativeCompletion
from gateway.schemas import parse_request
from gateway.state import Gateway

router = APIRouter(prefix="/v1", tags=["openai"])
JSON = "application/json"
M = TypeVar("M", bound=BaseModel)


@router.post("/responses", openapi_extra=body_schema(ResponsesRequest))
async def create_response(request: Request) -> Response:
    gw = gateway_of(request)
    ctx = new_context(request, "responses")
    body = await read_body(request, gw.config.server.max_body_bytes)
    try:
        ctx.principal = await principal_of(request)  # a stored conversation is read for the caller's team only
        parsed = _parse(ResponsesRequest, body)
        ctx.model = parsed.model
        store = ResponseStore(gw, ctx.principal.team)
        history = await store.conversation(parsed.previous_response_id)
        if not history and not parsed.items():
            raise BadRequest("invalid value for 'input': at least one input item is needed", param="input")
        chat = chat_body(chat_request(parsed, history))
        ctx.native = native_request(parsed)
        _served_natively(gw, parsed)
    except WardenError as exc:
        # Refused before the pipeline ran: the request still gets its usage row, as a chat request would.
        ctx.fail(exc)
        record_usage(gw, ctx)
        raise
    answer = await pipeline.chat(gw, ctx, request.headers.get("authorization"), chat)

    async def keep(response: ResponseObject) -> ResponseObject:
        return await store.keep(history + parsed.items(), response, ctx.guardrail_policy) if parsed.store else response

    async def keep_native(body: dict[str, Any]) -> bool:
        return await store.keep_body(history + parsed.items(), body, ctx.guardrail_policy)

    if isinstance(answer, NativeCompletion):
        body = echoed(answer.body, parsed)
        if parsed.store and not await keep_native(body):
            body["store"] = False
        return Response(orjson.dumps(body), media_type=JSON, headers=response_headers(ctx))
    if isinstance(answer, Completion):
        done = await keep(render(echo(parsed), answer.body))
        return Response(orjson.dumps(done.json_body()), media_type=JSON, headers=response_headers(ctx))
    headers = {**response_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    if answer.api == "responses":
        return SseResponse(answer.translated(lambda events: relayed(events, parsed, keep_native)), headers=headers)
    return SseResponse(ResponsesStream(answer, echo(parsed), keep), headers=headers)


def _served_natively(gw: Gateway, request: ResponsesRequest) -> None:
    """Built-in tools run at the provider: every deployment the request may reach must serve them natively."""
    builtin = request.builtin_tools()
    translated = [d.id for d in gw.router.reachable(request.model) if "responses" not in d.native_apis]
    if builtin and translated:
        position, kind = builtin[0]
        raise BadRequest(f"the built-in tool {kind!r} needs deployments that serve the Responses API natively "
                         f"(model_info.supports_native_responses); {translated[0]!r} does not",
                         param=f"tools.{position}", code="tool_not_supported")


@router.get("/responses/{response_id}")
async def retrieve_response(request: Request, response_id: str) -> Response:
    store = ResponseStore(gateway_of(request), (await principal_of(request)).team)
    return Response(orjson.dumps(await store.get(response_id)), media_type=JSON)


@router.get("/responses/{response_id}/input_items")
async def list_input_items(request: Request, response_id: str, page: Annotated[ItemPage, Query()]) -> Response:
    store = ResponseStore(gateway_of(request), (await principal_of(request)).team)
    return Response(item_list(response_id, await store.items(response_id), page), media_type=JSON)


@router.delete("/responses/{response_id}")
async def delete_response(request: Request, response_id: str) -> Response:
    store = ResponseStore(gateway_of(request), (await principal_of(request)).team)
    await store.delete(response_id)
    body = {"id": response_id, "object": "response.deleted", "deleted": True}
    return Response(orjson.dumps(body), media_type=JSON)


@router.post("/responses/input_tokens", openapi_extra=body_schema(ResponsesInput))
async def count_input_tokens(request: Request) -> Response:
    """The estimate the gateway charges to token budgets before a call; nothing goes upstream."""
    gw = gateway_of(request)
    ctx = new_context(request, "responses")
    body = await read_body(request, gw.config.server.max_body_bytes)
    ctx.principal = await principal_of(request)
    parsed = _parse(ResponsesInput, body)
    authorize_model(gw, ctx, parsed.model)
    history = await ResponseStore(gw, ctx.principal.team).conversation(parsed.previous_response_id)
    tokens = estimate_prompt_tokens(chat_request(parsed, history))
    return Response(orjson.dumps({"object": "response.input_tokens", "input_tokens": tokens}), media_type=JSON)


def _parse(model: type[M], body: bytes) -> M:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    parsed: M = parse_request(model, data)  # type: ignore[arg-type]
    return parsed
