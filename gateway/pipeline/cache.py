"""Step 5's wrapper: the exact-match response cache, around the upstream call (off unless `cache.enabled`).

The key is a hash of the caller's team (or, for a key without a team, the key), the endpoint, the model and the
body exactly as it would go upstream: after input guardrails masked it and a stored prompt was rendered, so a
blocked request never reaches the cache and two teams never share an entry. What is kept is the upstream's
answer before the output guardrails, which run again on every hit (masking and restoring PII for this request).
A request that samples (temperature unset or above 0) is cached only when `cache.sampled` says so: two calls would
otherwise give two answers. The client opts out per request with LiteLLM's `cache: {"no-cache": true}` (do not
answer from the cache) and `{"no-store": true}` (do not keep this answer), or a `Cache-Control` header.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson

from gateway.config import CacheConfig
from gateway.pipeline.context import RequestContext
from gateway.pipeline.native_call import speaks_native
from gateway.providers.base import ChunkStream, Completion
from gateway.providers.cost import token_details
from gateway.schemas import CacheControl

if TYPE_CHECKING:
    from gateway.state import Gateway

Upstream = Callable[["Gateway", RequestContext], Awaitable[Completion | ChunkStream]]


async def through_cache(gw: Gateway, ctx: RequestContext, deployments: frozenset[str] | None,
                        call: Upstream) -> Completion | ChunkStream:
    """`deployments`: those the registry lets serve this request (a rollout's version), part of the key."""
    store, config = gw.cache, gw.config.cache
    # An answer in a native API's shape is not kept: the cache holds chat answers, replayed through the checks.
    if store is None or not _cacheable(config, ctx) or speaks_native(ctx, gw.router.reachable(ctx.model or "")):
        return await call(gw, ctx)
    control = _control(ctx)
    key = cache_key(config.key_prefix, ctx, deployments)
    ctx.headers["x-warden-cache"] = "miss"
    if not control.no_cache and (entry := await store.get(key)) is not None:
        ctx.headers["x-warden-cache"], ctx.cache_hit = "hit", True
        return _answer(ctx, orjson.loads(entry))
    result = await call(gw, ctx)
    if control.no_store:
        return result
    if isinstance(result, ChunkStream):
        return _Recording(result, lambda chunks: store.set(key, orjson.dumps({"chunks": chunks}), config.ttl_s))
    await store.set(key, orjson.dumps({"body": result.body, "prompt_tokens": result.prompt_tokens,
                                       "completion_tokens": result.completion_tokens}), config.ttl_s)
    return result


def cache_key(prefix: str, ctx: RequestContext, deployments: frozenset[str] | None = None) -> str:
    principal = ctx.principal
    assert principal is not None
    owner = f"team:{principal.team}" if principal.team is not None else f"key:{principal.key_id}"
    canonical = orjson.dumps({"owner": owner, "endpoint": ctx.endpoint, "model": ctx.model, "body": ctx.payload,
                              "deployments": sorted(deployments) if deployments is not None else None},
                             option=orjson.OPT_SORT_KEYS)
    return prefix + hashlib.sha256(canonical).hexdigest()


def _cacheable(config: CacheConfig, ctx: RequestContext) -> bool:
    return ctx.endpoint == "embeddings" or config.sampled or ctx.payload.get("temperature") == 0


def _control(ctx: RequestContext) -> CacheControl:
    asked = getattr(ctx.request, "cache", None) or CacheControl()
    return CacheControl(no_cache=asked.no_cache or ctx.no_cache, no_store=asked.no_store or ctx.no_store)


def _answer(ctx: RequestContext, entry: dict[str, Any]) -> Completion | ChunkStream:
    """A hit: nothing was asked upstream, so no deployment served it and it cost nothing."""
    if "chunks" in entry:
        return _Replay(entry["chunks"])
    ctx.prompt_tokens, ctx.completion_tokens = entry["prompt_tokens"], entry["completion_tokens"]
    ctx.token_details = token_details(entry["body"].get("usage")).capped(ctx.prompt_tokens, ctx.completion_tokens)
    return Completion(entry["body"], entry["prompt_tokens"], entry["completion_tokens"])


class _Recording(ChunkStream):
    """Relays an upstream stream and keeps it once it ended normally (a cut or abandoned stream is not kept).
    Chunks are copied as they pass: the stream guard may rewrite them afterwards."""

    def __init__(self, inner: ChunkStream, keep: Callable[[list[Any]], Awaitable[None]]) -> None:
        self._inner, self._keep = inner, keep

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        chunks = []
        async for chunk in self._inner:
            chunks.append(orjson.loads(orjson.dumps(chunk)))
            yield chunk
        await self._keep(chunks)

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Replay(ChunkStream):
    def __init__(self, chunks: list[dict[str, Any]]) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        for chunk in self._chunks:
            yield chunk

    async def aclose(self) -> None:
        return None

