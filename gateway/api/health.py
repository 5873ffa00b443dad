"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import hmac

import orjson
from fastapi import APIRouter, Request, Response
from sqlalchemy import text
from sqlalchemy.engine import Engine

from gateway.api.deps import admin_of, gateway_of
from gateway.errors import AuthenticationFailed, ServiceUnavailable
from gateway.pipeline.authenticate import bearer_token
from gateway.providers.deployments import resolve_secret

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> Response:
    return Response(b'{"status":"ok"}', media_type="application/json")


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    gw = gateway_of(request)
    checks: dict[str, str] = {}
    try:
        await asyncio.wait_for(asyncio.to_thread(_ping_db, gw.engine), timeout=2)
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        ok = await asyncio.wait_for(gw.limiter.ping(), timeout=2)
        checks["limiter"] = "ok" if ok else "error: unreachable"
    except Exception as exc:
        checks["limiter"] = f"error: {type(exc).__name__}"
    if checks["limiter"] != "ok" and getattr(gw.limiter, "mode", None) == "open":
        # Failing open keeps serving on local limits: still ready, but say so.
        checks["limiter"] = "degraded: shared store unreachable, local limits in force"
    ready = all(v == "ok" or v.startswith("degraded") for v in checks.values())
    body = orjson.dumps({"status": "ready" if ready else "not ready", "checks": checks})
    return Response(body, status_code=200 if ready else 503, media_type="application/json")


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    gw = gateway_of(request)
    await _may_read_metrics(request)
    gw.metrics.usage_spooled.set(gw.usage.spooled)
    await gw.metrics.budgets.refresh(gw.limiter)
    return Response(gw.metrics.render(), media_type="text/plain; version=0.0.4")


async def _may_read_metrics(request: Request) -> None:
    server = gateway_of(request).config.server
    if server.metrics_auth == "none":
        return
    if server.metrics_auth == "token":
        expected, problem = resolve_secret(server.metrics_token, "server.metrics_token")
        if expected is None:
            raise ServiceUnavailable(f"/metrics is closed: {problem}", code="metrics_token_missing")
        token = bearer_token(request.headers.get("authorization"))
        if hmac.compare_digest(token.encode(), expected.encode()):
            return
    try:
        await admin_of(request)
    except AuthenticationFailed:
        if server.metrics_auth == "token":
            raise AuthenticationFailed("/metrics needs the metrics token or an admin key") from None
        raise


def _ping_db(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
