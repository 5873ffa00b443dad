"""Step 1: who is calling, what they ask for (a model, or a stored prompt and its version), and whether
they may ask for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from gateway.errors import (
    AuthenticationFailed,
    BadRequest,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
)
from gateway.media_schemas import ImageRequest, MediaRequest, SpeechRequest, TranscriptionRequest
from gateway.pipeline.context import RequestContext
from gateway.pipeline.prompt_errors import prompt_error
from gateway.prompts import PromptError, PromptRequest, parse_model_ref, parse_prompt_body
from gateway.schemas import EXTENSION_FIELDS, ChatRequest, EmbeddingRequest, parse_request
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway

PROMPT_PREFIX = "prompt:"
MEDIA: dict[str, type[MediaRequest]] = {"images": ImageRequest, "speech": SpeechRequest,
                                         "transcriptions": TranscriptionRequest}
MODES = {"embeddings": "embedding", "images": "image_generation", "speech": "audio_speech",
         "transcriptions": "audio_transcription"}
"""The deployment mode (`model_info.mode`, LiteLLM's names) each endpoint calls; every other endpoint: `chat`."""


@traced("authenticate")
async def authenticate(gw: Gateway, ctx: RequestContext, authorization: str | None, body: bytes) -> None:
    ctx.principal = await gw.keys.principal(bearer_token(authorization))
    ctx.request = _parse(gw, ctx, body)
    ctx.model = ctx.request.model
    ctx.guardrail_policy = ctx.principal.guardrail_policy or gw.guardrails.default
    if is_prompt_request(ctx):
        await _select_prompt(gw, ctx)
    elif isinstance(ctx.request, ChatRequest) and not ctx.request.messages:
        raise BadRequest("invalid value for 'messages': at least one message is needed", param="messages")
    authorize_model(gw, ctx, ctx.model)
    if ctx.guardrail_policy and gw.guardrails.policy(ctx.guardrail_policy) is None:
        # Refuse rather than run without the checks someone asked for.
        raise ServiceUnavailable(f"the guardrail policy {ctx.guardrail_policy!r} is not configured on this gateway",
                                 code="policy_not_configured")


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
    wanted = MODES.get(ctx.endpoint, "chat")
    if group[0].mode != wanted:
        raise BadRequest(f"the model {model!r} is a {group[0].mode} model, not a {wanted} model", param="model",
                         code="wrong_model_type")
    if ctx.endpoint in MEDIA and any(d.transport != "native" for d in group):
        raise BadRequest(f"the model {model!r} is not served by an OpenAI-compatible deployment: {ctx.endpoint} "
                         "requests pass through to those only", param="model", code="unsupported_model")


async def _select_prompt(gw: Gateway, ctx: RequestContext) -> None:
    """Find the prompt version now (an in-memory lookup) so that limits, input checks and the model
    permission all apply to the prompt's model and policy; rendering is the resolve_prompt step."""
    if gw.prompts is None or not isinstance(ctx.request, ChatRequest):
        raise NotFound("this gateway has no prompt store", param="model", code="prompt_not_found")
    try:
        selected = _prompt_request(ctx.request)
        resolved = await gw.prompts.resolve(selected.ref)
    except PromptError as exc:
        raise prompt_error(exc) from None
    ctx.resolved_prompt = resolved
    ctx.prompt_variables = dict(selected.variables)
    ctx.model = resolved.spec.model
    if resolved.spec.guardrail_policy:
        ctx.guardrail_policy = resolved.spec.guardrail_policy


def _prompt_request(request: ChatRequest) -> PromptRequest:
    body = request.extension("prompt")
    by_model = parse_model_ref(request.model)
    if body is None:
        assert by_model is not None
        return PromptRequest(by_model)
    if by_model is not None and isinstance(body, dict) and "name" not in body:
        body = {**body, "name": by_model.name, **({"label": by_model.label} if by_model.label else {}),
                **({"version": by_model.version} if by_model.version else {})}
    return parse_prompt_body(body)


def _parse(gw: Gateway, ctx: RequestContext, body: bytes) -> ChatRequest | EmbeddingRequest | MediaRequest:
    limit = gw.config.server.max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"the request body has {len(body)} bytes; the limit is {limit}")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    kind = MEDIA.get(ctx.endpoint) or (EmbeddingRequest if ctx.endpoint == "embeddings" else ChatRequest)
    request = parse_request(kind, data)
    # A media request has no Warden extensions (its strict shape refused any): `prompt` is the image's prompt there.
    extensions = () if ctx.endpoint in MEDIA else EXTENSION_FIELDS
    ctx.payload = {k: v for k, v in data.items() if k not in extensions and k != "model"}
    return request
