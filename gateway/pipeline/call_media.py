"""Step 5 for the media APIs: the router calls an OpenAI-compatible deployment (retries, fallbacks, cooldowns as for
chat); tokens and cost are taken from the answer. Never answered from the response cache: an image, a voice or a
transcript is not an exact-match answer worth keeping."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.providers.base import Completion, Deployment, Provider, RawAnswer
from gateway.providers.cost import Prices, image_usage, transcription_usage
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway


@traced("call_provider")
async def call_media(gw: Gateway, ctx: RequestContext) -> Completion | RawAnswer:
    assert ctx.model is not None and ctx.request is not None
    selection = gw.registry.select(ctx.model, ctx.request_id)
    only = ctx.policy.deployments if ctx.policy else None
    ctx.upstream_started = time.perf_counter()
    try:
        result, ctx.served = await gw.router.run(ctx.model, ctx.payload, _CALLS[ctx.endpoint], selection.allowed, only)
    finally:
        ctx.upstream_ms = (time.perf_counter() - ctx.upstream_started) * 1000
    prices = ctx.served.deployment.prices
    ctx.cost_known = prices.known
    if isinstance(result, Completion):
        ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details = image_usage(result.body.get("usage"))
        ctx.cost_usd = prices.cost(ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details)
        ctx.cost_known = prices.known and isinstance(result.body.get("usage"), dict)  # DALL-E reports no tokens
    elif ctx.endpoint == "speech":
        _speech_cost(ctx, prices)
    else:
        _transcription_cost(ctx, prices, result)
    return result


def _speech_cost(ctx: RequestContext, prices: Prices) -> None:
    # The upstream reports no usage for speech: its input is counted (estimated tokens, exact characters).
    assert ctx.request is not None
    ctx.prompt_tokens = estimate_prompt_tokens(ctx.request)
    if prices.input_per_character is not None:
        ctx.cost_usd = len(ctx.payload.get("input") or "") * prices.input_per_character
    else:
        # Priced by the token, the audio it sends back is not counted: the cost is a lower bound, flagged.
        ctx.cost_usd, ctx.cost_known = ctx.prompt_tokens * prices.input_per_token, False


def _transcription_cost(ctx: RequestContext, prices: Prices, answer: RawAnswer) -> None:
    """From the JSON answer's `usage`: tokens, or seconds of audio; a transcript in another format (text, srt)
    carries none, so its cost is unknown (0, flagged)."""
    usage = None
    if answer.media_type == "application/json":
        try:
            body = orjson.loads(answer.content)
            usage = body.get("usage") if isinstance(body, dict) else None
        except orjson.JSONDecodeError:
            usage = None
    ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details, seconds = transcription_usage(usage)
    if seconds is not None and prices.input_per_second is not None:
        ctx.cost_usd = seconds * prices.input_per_second
    elif usage is not None and seconds is None:
        ctx.cost_usd = prices.cost(ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details)
    else:
        ctx.cost_usd, ctx.cost_known = 0.0, False


async def _images(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.images(deployment, payload)


async def _speech(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
    return await provider.speech(deployment, payload)


async def _transcribe(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
    return await provider.transcribe(deployment, payload)


_CALLS: dict[str, Callable[[Provider, Deployment, dict[str, Any]], Awaitable[Completion | RawAnswer]]] = {
    "images": _images, "speech": _speech, "transcriptions": _transcribe}
