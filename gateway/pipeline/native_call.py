"""Step 5's choice of wire format, per deployment: a request that arrived in a native API (Anthropic Messages,
Responses) goes to a deployment that speaks that API in that API's shape, and to any other one as the chat
request the adapter translated. The router still picks, retries and falls back: the same call, another body."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from gateway.pipeline.context import RequestContext
from gateway.providers.base import (
    ChunkStream,
    Completion,
    Deployment,
    NativeCall,
    Provider,
)

T = TypeVar("T", Completion, ChunkStream)
Call = Callable[[Provider, Deployment, dict[str, Any]], Awaitable[T]]


def native_or(ctx: RequestContext, translated: Call[T]) -> Call[Completion | ChunkStream]:
    native = ctx.native
    if native is None:
        return translated  # type: ignore[return-value]

    async def call(provider: Provider, deployment: Deployment, payload: dict[str, Any]) -> Completion | ChunkStream:
        if native.api not in deployment.native_apis:
            return await translated(provider, deployment, payload)
        body = {**native.build(payload), "model": payload["model"]}
        return await provider.native(deployment, NativeCall(native.api, body, ctx.stream, native.headers))

    return call


def speaks_native(ctx: RequestContext, deployments: list[Deployment]) -> bool:
    """Whether one of `deployments` would be called in the request's native API."""
    return ctx.native is not None and any(ctx.native.api in d.native_apis for d in deployments)
