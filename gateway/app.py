"""Wiring only: build the app, open the gateway in the lifespan, map errors to OpenAI's format."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException

from gateway.api import (admin, anthropic_routes, completions, health, media_routes, moderations, openai_routes,
                         registry_routes, responses_routes, usage_policy_routes)
from gateway.api.deps import response_headers
from gateway.api.hot_routes import HotApp, HotRoutes, hot_routes
from gateway.api.registry_common import RegistryApiConfig
from gateway.api.request_id import RequestIdMiddleware
from gateway.api.unprefixed import without_prefix
from gateway.config import GatewayConfig
from gateway.console import build_router as console_router
from gateway.errors import BadRequest, WardenError
from gateway.settings import Settings
from gateway.state import open_gateway
from gateway.tracing import Tracing
from gateway.unexpected_errors import UnexpectedErrors
from registry.monitoring.config import load_monitor_config

log = logging.getLogger("warden")
_PIPELINE_POSTS = ("/chat/completions", "/embeddings", "/completions", "/moderations", "/responses", "/messages")
HOT_PATHS = tuple(prefix + path for path in _PIPELINE_POSTS for prefix in ("/v1", ""))


def create_app(settings: Settings | None = None, config: GatewayConfig | None = None,
               tracing: Tracing | None = None) -> FastAPI:
    """`tracing` replaces what the OTEL_* variables would choose (tests pass an in-memory exporter's)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.gateway = await open_gateway(settings, config, tracing)
        if settings.freeze_heap:
            freeze_startup_heap()
        try:
            yield
        finally:
            await app.state.gateway.close()
            if settings.freeze_heap:
                gc.unfreeze()  # collectable again: a process that builds apps over and over does not pile up

    # No trailing-slash redirects: Starlette builds their absolute `Location` from the Host header a client sends.
    # FastAPI's own OpenTelemetry hooks off: Warden traces requests itself (gateway/tracing.py), and the hooks'
    # per-request provider checks cost ~5% of a request's CPU even when nothing is configured.
    app = HotApp(title="Warden", version="0.1.0", lifespan=lifespan, docs_url="/docs", redoc_url=None,
                  redirect_slashes=False, telemetry={"tracing": False, "metrics": False, "logs": False})
    app.include_router(openai_routes.router)
    app.include_router(anthropic_routes.router)
    app.include_router(moderations.router)
    app.include_router(completions.router)
    app.include_router(responses_routes.router)
    app.include_router(media_routes.router)
    openai_style = (openai_routes.router, anthropic_routes.router, moderations.router, completions.router,
                    responses_routes.router, media_routes.router)
    unprefixed = without_prefix(*openai_style)
    app.include_router(unprefixed)
    app.include_router(admin.router)
    app.include_router(health.router)
    monitor = load_monitor_config(settings.monitor_config_path)
    app.include_router(registry_routes.build_router(RegistryApiConfig(monitor=monitor)))
    app.include_router(usage_policy_routes.router)
    app.include_router(console_router())
    app.add_exception_handler(WardenError, _warden_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Backstops for values a route's validation missed: the database refused them, the request is at fault.
    app.add_exception_handler(DataError, _unstorable_value)
    app.add_exception_handler(OverflowError, _unstorable_value)
    # Innermost: the pipeline's POST routes skip FastAPI's routing layers (gateway/api/hot_routes.py).
    hot = hot_routes((*openai_style, unprefixed), HOT_PATHS)
    app.add_middleware(HotRoutes, routes=hot)
    app.add_middleware(UnexpectedErrors)  # unmapped exceptions: answered without dropping the connection
    app.add_middleware(RequestIdMiddleware)  # outermost: every answer, errors included, names its request
    app.answer_first(hot)  # the same routes ahead of the whole stack, doing the two layers above themselves
    return app


def freeze_startup_heap() -> None:
    """Move what start-up allocated (modules, config, models: most of the heap) out of the collector's sight.
    Requests in flight survive young collections and push the oldest generation's count up, so under load a
    full collection ran every few seconds and scanned the whole heap each time: 130-260 ms with the event loop
    stopped, the p99. Frozen objects are never scanned; what requests leave behind still is."""
    gc.collect()
    gc.freeze()


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` (used when serving with several workers)."""
    return create_app(Settings.from_env())


def _error_response(request: Request, error: WardenError) -> Response:
    headers = dict(error.headers)
    ctx = getattr(request.state, "context", None)
    if ctx is not None:
        headers.update(response_headers(ctx))
    return Response(error.body(), status_code=error.status, media_type="application/json", headers=headers)


async def _warden_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WardenError)
    return _error_response(request, exc)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    error = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    where = ".".join(str(p) for p in error["loc"])
    return _error_response(request, BadRequest(f"invalid value for {where!r}: {error['msg']}", param=where))


async def _unstorable_value(request: Request, exc: Exception) -> Response:
    log.warning("request %s: a value could not be stored: %s", getattr(request.state, "request_id", "-"),
                type(exc).__name__)
    return _error_response(request, BadRequest("a value in the request is out of range or too long to be stored",
                                               code="value_out_of_range"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404 and (unserved := media_routes.not_served(request.url.path)) is not None:
        return _error_response(request, unserved)
    kind = "not_found" if exc.status_code == 404 else "invalid_request"
    body = orjson.dumps({"error": {"message": f"{request.method} {request.url.path}: {exc.detail}",
                                   "type": "invalid_request_error", "param": None, "code": kind}})
    return Response(body, status_code=exc.status_code, media_type="application/json")
