"""What route handlers share: the gateway object, request ids, body reading, the admin check."""

from __future__ import annotations

from fastapi import Request

from gateway.api.request_id import request_id_from
from gateway.errors import PayloadTooLarge, PermissionDenied
from gateway.limits.levels import rate_headers
from gateway.pipeline.authenticate import bearer_token
from gateway.pipeline.context import Endpoint, Principal, RequestContext
from gateway.state import Gateway
from gateway.usage_policy.classify import DATA_CLASS_HEADER
from guardrails.judge import usage_of

def gateway_of(request: Request) -> Gateway:
    return request.app.state.gateway


def new_context(request: Request, endpoint: Endpoint) -> RequestContext:
    request_id = getattr(request.state, "request_id", None) or request_id_from(request.headers.get("x-request-id"))
    request.state.request_id = request_id
    ctx = RequestContext(request_id=request_id, endpoint=endpoint)
    cache_control = (request.headers.get("cache-control") or "").lower()
    ctx.no_cache, ctx.no_store = "no-cache" in cache_control, "no-store" in cache_control
    ctx.declared_class = request.headers.get(DATA_CLASS_HEADER)
    request.state.context = ctx
    gateway_of(request).tracing.start(ctx, request.headers)
    return ctx


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body has {declared} bytes; the limit is {limit}")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def response_headers(ctx: RequestContext) -> dict[str, str]:
    headers = {"x-request-id": ctx.request_id, "x-warden-overhead-ms": f"{ctx.overhead_ms():.3f}"}
    if ctx.served is not None:
        headers["x-warden-deployment"] = ctx.served.deployment.id
        if ctx.served.fallback_from:
            headers["x-warden-fallback-from"] = ctx.served.fallback_from
    if ctx.recorded and ctx.cost_known and not ctx.stream:  # what the usage row says (a stream's is not known yet)
        headers["x-warden-cost-usd"] = f"{ctx.cost_usd + usage_of(ctx.checks).cost_usd:.10f}"
    if ctx.reservation is not None:
        headers.update(rate_headers(ctx.reservation.levels))
    if ctx.verdicts:
        headers["x-warden-guardrails"] = ",".join(f"{v.guardrail}={v.action}" for v in ctx.verdicts)
    headers.update(ctx.headers)
    return headers


async def principal_of(request: Request) -> Principal:
    gw = gateway_of(request)
    return await gw.keys.principal(bearer_token(request.headers.get("authorization")))


async def admin_of(request: Request) -> Principal:
    principal = await principal_of(request)
    if not principal.is_admin:
        raise PermissionDenied("this route needs an admin key", code="admin_required")
    return principal
