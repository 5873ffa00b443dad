"""OpenAI-compatible routes: thin adapters over the pipeline."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response

from gateway import pipeline
from gateway.api.deps import gateway_of, new_context, principal_of, read_body, response_headers
from gateway.api.openapi_bodies import body_schema
from gateway.api.sse import SseResponse
from gateway.errors import NotFound
from gateway.providers.base import Completion
from gateway.schemas import ChatRequest, EmbeddingRequest
from gateway.state import Gateway

router = APIRouter(prefix="/v1", tags=["openai"])
JSON = "application/json"
DEMO_NOTE = "local demo provider: deterministic answers, no network, no model is called"


@router.post("/chat/completions", openapi_extra=body_schema(ChatRequest))
async def chat_completions(request: Request) -> Response:
    gw = gateway_of(request)
    ctx = new_context(request, "chat")
    body = await read_body(request, gw.config.server.max_body_bytes)
    answer = await pipeline.chat(gw, ctx, request.headers.get("authorization"), body)
    if isinstance(answer, Completion):
        return Response(orjson.dumps(answer.body), media_type=JSON, headers=response_headers(ctx))
    headers = {**response_headers(ctx), "cache-control": "no-cache", "x-accel-buffering": "no"}
    return SseResponse(answer.batched(), headers=headers)


@router.post("/embeddings", openapi_extra=body_schema(EmbeddingRequest))
async def embeddings(request: Request) -> Response:
    gw = gateway_of(request)
    ctx = new_context(request, "embeddings")
    body = await read_body(request, gw.config.server.max_body_bytes)
    answer = await pipeline.embeddings(gw, ctx, request.headers.get("authorization"), body)
    return Response(orjson.dumps(answer.body), media_type=JSON, headers=response_headers(ctx))


@router.get("/models")
async def list_models(request: Request) -> Response:
    """Only the models the caller's team may use. Demo deployments say so."""
    gw = gateway_of(request)
    principal = await principal_of(request)
    data = [_model(gw, name) for name in gw.router.models() if principal.may_use(name)]
    return Response(orjson.dumps({"object": "list", "data": data}), media_type=JSON)


@router.get("/models/{model_id:path}")
async def retrieve_model(request: Request, model_id: str) -> Response:
    """One model the caller's team may use; any other is a 404, so a team does not learn what others use."""
    gw = gateway_of(request)
    principal = await principal_of(request)
    if not gw.router.group(model_id) or not principal.may_use(model_id):
        raise NotFound(f"the model {model_id!r} does not exist", param="model")
    return Response(orjson.dumps(_model(gw, model_id)), media_type=JSON)


def _model(gw: Gateway, name: str) -> dict[str, object]:
    first = gw.router.group(name)[0]
    entry: dict[str, object] = {"id": name, "object": "model", "created": 0,
                                "owned_by": "warden-demo" if first.is_demo else first.provider}
    if first.is_demo:
        entry["description"] = DEMO_NOTE
    elif first.description:
        entry["description"] = first.description
    return entry
