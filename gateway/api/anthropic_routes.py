"""Anthropic's Messages API: a thin adapter over the pipeline's `chat`, answered in Anthropic's shapes.

The body is translated into a chat-completions request (`anthropic_shapes`), runs the one pipeline (keys, limits,
guardrails, prompts, provider, usage row) and the answer is rendered back (`anthropic_render`). Errors on these
routes use Anthropic's error JSON, so the `anthropic` SDK raises its usual exceptions.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import orjson
from fastapi import APIRouter, Request, Response

from gateway import pipeline
from gateway.api.anthropic_native import native_request
from gateway.api.anthropic_render import error_body, events, message
from gateway.api.anthropic_shapes import CountTokensRequest, MessagesRequest, chat_body, parse
from gateway.api.deps import gateway_of, new_context, read_body, response_headers
from gateway.api.openapi_bodies import body_schema
from gateway.api.sse import SseResponse
from gateway.errors import BadRequest, WardenError
from gateway.pipeline.adapters import chat_json, count_tokens, refuse
from gateway.pipeline.context import RequestContext
from gateway.providers.base import Completion, NativeCompletion
from gateway.state import Gateway

router = APIRouter(prefix="/v1", tags=["anthropic"])
JSON = "application/json"


@router.post("/messages", openapi_extra=body_schema(MessagesRequest))
async def messages(request: Request) -> Response:
    return await _adapted(request, MessagesRequest, _messages)


@router.post("/messages/count_tokens", openapi_extra=body_schema(CountTokensRequest))
async def messages_count_tokens(request: Request) -> Response:
    return await _adapted(request, CountTokensRequest, _count_tokens)


async def _messages(gw: Gateway, ctx: RequestContext, authorization: str | None, wanted: MessagesRequest,
                    body: bytes) -> Response:
    answer = await pipeline.chat(gw, ctx, authorization, body)
    if isinstance(answer, NativeCompletion):  # an Anthropic deployment answered in its own shape
        return Response(orjson.dumps(answer.body), media_type=JSON, headers=response_headers(ctx))
    if isinstance(answer, Completion):
        return Response(orjson.dumps(message(answer.body, wanted.model)), media_type=JSON,
                        headers=response_headers(ctx))
    headers = {**response_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    if answer.api == "anthropic_messages":
        return SseResponse(answer.batched(), headers=headers)
    return SseResponse(answer.translated(lambda chunks: events(chunks, wanted.model)), headers=headers)


async def _count_tokens(gw: Gateway, ctx: RequestContext, authorization: str | None, wanted: MessagesRequest,
                        body: bytes) -> Response:
    tokens = await count_tokens(gw, ctx, authorization, body)
    return Response(orjson.dumps({"input_tokens": tokens}), media_type=JSON, headers=response_headers(ctx))


Handler = Callable[[Gateway, RequestContext, str | None, MessagesRequest, bytes], Awaitable[Response]]


async def _adapted(request: Request, kind: type[MessagesRequest], handle: Handler) -> Response:
    """Translate the body, run `handle` over the pipeline, and answer any refusal in Anthropic's error JSON."""
    gw = gateway_of(request)
    ctx = new_context(request, "chat")
    authorization = _authorization(request)
    try:
        wanted, body = await _translated(gw, ctx, request, authorization, kind)
        return await handle(gw, ctx, authorization, wanted, body)
    except WardenError as exc:
        return error_response(ctx, exc)


def _authorization(request: Request) -> str | None:
    """Anthropic's SDKs send the key as `x-api-key`; `Authorization: Bearer` works too. The client's
    `anthropic-version` is accepted and not forwarded (Warden speaks one version upstream)."""
    key = request.headers.get("x-api-key")
    return f"Bearer {key}" if key else request.headers.get("authorization")


async def _translated(gw: Gateway, ctx: RequestContext, request: Request, authorization: str | None,
                      kind: type[MessagesRequest]) -> tuple[MessagesRequest, bytes]:
    """The request and the chat body it means; one that cannot be translated is refused (and recorded)."""
    try:
        raw = await read_body(request, gw.config.server.max_body_bytes)
        wanted = parse(kind, raw)
        chat = chat_body(wanted)
        if kind is MessagesRequest:
            ctx.native = native_request(raw, wanted, chat["messages"], request.headers.get("anthropic-beta"))
        return wanted, chat_json(chat)
    except BadRequest as exc:
        await refuse(gw, ctx, authorization, exc)


def error_response(ctx: RequestContext, exc: WardenError) -> Response:
    headers = {**response_headers(ctx), **exc.headers}
    return Response(error_body(exc, ctx.request_id), status_code=exc.status, media_type=JSON, headers=headers)
