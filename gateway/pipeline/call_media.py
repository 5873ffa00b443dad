"""Step 5 for the media APIs: the router calls an OpenAI-compatible deployment (retries, fallbacks, cooldowns as for
chat); tokens and cost are taken from the answer. Never answered from the response cache: an image or a voice is
not an exact-match answer worth keeping."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from gateway.media_schemas import SpeechRequest
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.providers.base import Audio, Completion, Deployment, Provider
from gateway.providers.cost import image_usage
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.state import Gateway


@traced("call_provider")
async def call_media(gw: Gateway, ctx: RequestContext) -> Completion | Audio:
    assert ctx.model is not None and ctx.request is not None
    selection = gw.registry.select(ctx.model, ctx.request_id)
    only = ctx.policy.deployments if ctx.policy else None
    call = _speech if ctx.endpoint == "speech" else _images
    ctx.upstream_started = time.perf_counter()
    try:
        result, ctx.served = await gw.router.run(ctx.model, ctx.payload, call, selection.allowed, only)
    finally:
        ctx.upstream_ms = (time.perf_counter() - ctx.upstream_started) * 1000
    prices = ctx.served.deployment.prices
    ctx.cost_known = prices.known
    if isinstance(result, Completion):
        ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details = image_usage(result.body.get("usage"))
        ctx.cost_usd = prices.cost(ctx.prompt_tokens, ctx.completion_tokens, ctx.token_details)
    else:
        assert isinstance(ctx.request, SpeechRequest)
        # The upstream reports no usage for speech: its input is counted (estimated tokens, exact characters).
        ctx.prompt_tokens = estimate_prompt_tokens(ctx.request)
        if prices.input_per_character is not None:
            ctx.cost_usd = len(ctx.payload.get("input") or "") * prices.input_per_character
        else:
            # Priced by the token, the audio it sends back is not counted: the cost is a lower bound, flagged.
            ctx.cost_usd, ctx.cost_known = ctx.prompt_tokens * prices.input_per_token, False
    return result


async def _images(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.images(deployment, payload)


async def _speech(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Audio:
    return await provider.speech(deployment, payload)
