"""Step 5: the router calls a deployment (retries, fallbacks, cooldowns); tokens and cost are taken from
the answer."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from gateway.pipeline.cache import through_cache
from gateway.pipeline.context import RequestContext
from gateway.pipeline.shadow import mirror
from gateway.pipeline.native_call import native_or
from gateway.providers.base import ChunkStream, Completion, Deployment, NativeCompletion, Provider
from gateway.providers.cost import NO_DETAILS, TokenDetails, token_details
from gateway.tracing import traced

if TYPE_CHECKING:
    from gateway.registry_link import Selection
    from gateway.state import Gateway


@traced("call_provider")
async def call_provider(gw: Gateway, ctx: RequestContext) -> Completion | ChunkStream:
    assert ctx.model is not None
    # Before the cache: a version the registry no longer lets serve is refused even for a cached answer.
    selection = gw.registry.select(ctx.model, _request_key(ctx))
    return await through_cache(gw, ctx, selection.allowed, partial(_call_upstream, selection=selection))


async def _call_upstream(gw: Gateway, ctx: RequestContext, *, selection: Selection) -> Completion | ChunkStream:
    assert ctx.model is not None
    ctx.upstream_started = time.perf_counter()
    only = ctx.policy.deployments if ctx.policy else None
    try:
        if ctx.endpoint == "embeddings":
            result, served = await gw.router.run(ctx.model, ctx.payload, _embed, selection.allowed, only)
        elif ctx.stream:
            # Always ask for usage so the row is exact; it is stripped again if the client did not ask.
            ctx.payload["stream_options"] = {**(ctx.payload.get("stream_options") or {}), "include_usage": True}
            result, served = await gw.router.run(ctx.model, ctx.payload, native_or(ctx, _stream), selection.allowed,
                                                 only)
        else:
            result, served = await gw.router.run(ctx.model, ctx.payload, native_or(ctx, _chat), selection.allowed,
                                                 only)
    finally:
        ctx.upstream_ms = (time.perf_counter() - ctx.upstream_started) * 1000
    ctx.served = served
    if ctx.endpoint != "embeddings":
        # A shadow copy goes only where the request's data class may go.
        mirror(gw, ctx, tuple(d for d in selection.shadow if only is None or d.id in only))
    if isinstance(result, Completion):
        usage = result.usage if isinstance(result, NativeCompletion) else result.body.get("usage")
        account(ctx, result.prompt_tokens, result.completion_tokens, token_details(usage))
    return result


def _request_key(ctx: RequestContext) -> str:
    """Canary splits are sticky per end user when the request names one."""
    user = getattr(ctx.request, "user", None)
    return f"user:{user}" if user else ctx.request_id


def account(ctx: RequestContext, prompt_tokens: int, completion_tokens: int,
            details: TokenDetails = NO_DETAILS) -> None:
    ctx.prompt_tokens, ctx.completion_tokens = prompt_tokens, completion_tokens
    # Parts of the totals: an upstream reporting more is not believed past them.
    ctx.token_details = details.capped(prompt_tokens, completion_tokens)
    if ctx.served is not None:
        prices = ctx.served.deployment.prices
        ctx.cost_usd = prices.cost(prompt_tokens, completion_tokens, ctx.token_details)
        ctx.cost_known = prices.known


async def _chat(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.chat(deployment, payload)


async def _stream(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
    return await provider.stream(deployment, payload)


async def _embed(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion:
    return await provider.embed(deployment, payload)
