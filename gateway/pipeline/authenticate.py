"""Step 1: who is calling, what they ask for, and whether they may ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from gateway.errors import AuthenticationFailed, BadRequest, NotFound, PayloadTooLarge, PermissionDenied
from gateway.pipeline.context import RequestContext
from gateway.schemas import EXTENSION_FIELDS, ChatRequest, EmbeddingRequest, parse_request

if TYPE_CHECKING:
    from gateway.state import Gateway

PROMPT_PREFIX = "prompt:"


async def authenticate(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> None:
    ctx.principal = await gw.keys.principal(bearer_token(authorization))
    ctx.request = _parse(gw, ctx, body)
    ctx.model = ctx.request.model
    ctx.guardrail_policy = ctx.principal.guardrail_policy or gw.guardrails.default
    if not is_prompt_request(ctx):
        authorize_model(gw, ctx, ctx.model)


def bearer_token(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationFailed("missing API key: send 'Authorization: Bearer <key>'", code="missing_api_key")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise AuthenticationFailed("malformed Authorization header: expected 'Bearer <key>'")
    return token


def is_prompt_request(ctx: RequestContext) -> bool:
    request = ctx.request
    return bool(ctx.model and ctx.model.startswith(PROMPT_PREFIX)) or (
        isinstance(request, ChatRequest) and request.extension("prompt") is not None
    )


def authorize_model(gw: Gateway, ctx: RequestContext, model: str) -> None:
    """404 for a model the gateway does not serve, 403 for one the caller's team may not use."""
    group = gw.router.group(model)
    if not group:
        raise NotFound(f"the model {model!r} does not exist", param="model")
    assert ctx.principal is not None
    if not ctx.principal.may_use(model):
        raise PermissionDenied(f"team {ctx.principal.team!r} may not use model {model!r}", param="model")
    wanted = "embedding" if ctx.endpoint == "embeddings" else "chat"
    if group[0].mode != wanted:
        raise BadRequest(f"the model {model!r} is a {group[0].mode} model, not a {wanted} model", param="model",
                         code="wrong_model_type")


def _parse(gw: Gateway, ctx: RequestContext, body: bytes) -> ChatRequest | EmbeddingRequest:
    limit = gw.config.server.max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"the request body has {len(body)} bytes; the limit is {limit}")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    kind = ChatRequest if ctx.endpoint == "chat" else EmbeddingRequest
    request = parse_request(kind, data)
    ctx.payload = {k: v for k, v in data.items() if k not in EXTENSION_FIELDS and k != "model"}
    return request
