"""The pipeline's POST routes answer through the hot-route dispatch exactly as FastAPI's router would: the same
paths with and without `/v1`, other methods and near-miss paths left to FastAPI, errors in OpenAI's format. A route
that stops taking the bare request cannot be dispatched past its dependencies: start-up refuses it."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Depends, Request, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.api.hot_routes import HotApp, HotRoutes, hot_routes
from gateway.api.request_id import RequestIdMiddleware
from gateway.app import HOT_PATHS, _warden_error
from gateway.errors import BadRequest, WardenError
from gateway.unexpected_errors import UnexpectedErrors
from tests.support.gateway_server import RunningGateway, free_port

BODY = {"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]}


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/chat/completions"])
def test_chat_through_either_path_is_answered_and_recorded(gw: RunningGateway, path: str) -> None:
    with gw.http() as http:
        response = http.post(path, json=BODY, headers={"authorization": f"Bearer {gw.keys['alpha']}",
                                                       "x-request-id": "hot-1"})
    assert response.status_code == 200 and response.json()["object"] == "chat.completion"
    assert response.headers["x-request-id"] == "hot-1" and response.headers["x-warden-deployment"]
    assert gw.row("hot-1").status_code == 200


def test_errors_keep_openai_shape_and_request_id(gw: RunningGateway) -> None:
    with gw.http() as http:
        headers = {"authorization": f"Bearer {gw.keys['alpha']}", "content-type": "application/json"}
        bad_json = http.post("/v1/chat/completions", content=b"{not json", headers=headers)
        no_key = http.post("/v1/embeddings", json={"model": "chat-a", "input": "x"})
    assert bad_json.status_code == 400 and bad_json.json()["error"]["code"] == "invalid_json"
    assert bad_json.headers["x-request-id"].startswith("req_")
    assert no_key.status_code == 401 and no_key.json()["error"]["code"] == "missing_api_key"


def test_other_methods_and_near_paths_stay_with_fastapi(gw: RunningGateway) -> None:
    with gw.http() as http:
        wrong_method = http.get("/v1/chat/completions")
        trailing = http.post("/v1/chat/completions/", json=BODY)
        models = http.get("/v1/models", headers={"authorization": f"Bearer {gw.keys['alpha']}"})
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["type"] == "invalid_request_error"
    assert trailing.status_code == 404 and trailing.json()["error"]["code"] == "not_found"
    assert models.status_code == 200


def _router_with(endpoint: object) -> APIRouter:
    router = APIRouter(prefix="/v1")
    router.add_api_route("/chat/completions", endpoint, methods=["POST"])  # type: ignore[arg-type]
    return router


async def _bare(request: Request) -> Response:
    return Response(b"{}")


async def _with_query(request: Request, user: str) -> Response:
    return Response(user.encode())


async def _with_dependency(request: Request, user: str = Depends(lambda: "x")) -> Response:
    return Response(user.encode())


def test_only_routes_taking_the_bare_request_are_dispatched() -> None:
    assert hot_routes([_router_with(_bare)], ["/v1/chat/completions"]) == {"/v1/chat/completions": _bare}
    for endpoint in (_with_query, _with_dependency):
        with pytest.raises(RuntimeError, match="takes more than the request"):
            hot_routes([_router_with(endpoint)], ["/v1/chat/completions"])
    with pytest.raises(RuntimeError, match="no POST route"):
        hot_routes([_router_with(_bare)], ["/v1/embeddings"])


def test_every_pipeline_post_is_hot_with_and_without_prefix() -> None:
    assert {"/v1/chat/completions", "/chat/completions", "/v1/messages", "/messages", "/v1/responses",
            "/v1/embeddings", "/v1/completions", "/v1/moderations"} <= set(HOT_PATHS)


# HotApp: the hot routes answered ahead of FastAPI's middleware stack, on a real server.

async def _plain(request: Request) -> Response:
    return Response(b'{"ok": true}', media_type="application/json")


async def _refused(request: Request) -> Response:
    raise BadRequest("refused here", code="refused")


async def _broken(request: Request) -> Response:
    raise RuntimeError("a bug")


class _Seen:
    """A middleware added by whoever embeds the app: it must see the hot routes too."""

    def __init__(self, app: ASGIApp, log: list[str]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.log.append(scope["path"])
        await self.app(scope, receive, send)


def _hot_app(extra: list[str] | None = None) -> HotApp:
    router = APIRouter(prefix="/v1")
    for path, endpoint in (("/chat/completions", _plain), ("/completions", _refused), ("/embeddings", _broken)):
        router.add_api_route(path, endpoint, methods=["POST"])
    app = HotApp()
    app.include_router(router)
    app.add_exception_handler(WardenError, _warden_error)
    hot = hot_routes([router], ["/v1/chat/completions", "/v1/completions", "/v1/embeddings"])
    app.add_middleware(HotRoutes, routes=hot)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(RequestIdMiddleware)
    app.answer_first(hot)
    if extra is not None:
        app.add_middleware(_Seen, log=extra)
    return app


@contextmanager
def _serving(app: HotApp) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("added", [False, True])
def test_hot_app_answers_as_the_stack_would(added: bool) -> None:
    seen: list[str] = []
    with _serving(_hot_app(seen if added else None)) as url, httpx.Client(base_url=url) as http:
        named = http.post("/v1/chat/completions", headers={"x-request-id": "mine-1"})
        fresh = http.post("/v1/chat/completions")
        refused = http.post("/v1/completions")
        broken = http.post("/v1/embeddings")
        after = http.post("/v1/chat/completions", headers={"x-request-id": "mine-2"})  # same connection
        not_hot = http.get("/v1/chat/completions")
    assert named.status_code == 200 and named.json() == {"ok": True} and named.headers["x-request-id"] == "mine-1"
    assert fresh.headers["x-request-id"].startswith("req_")
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "refused"
    assert refused.headers["x-request-id"].startswith("req_")
    assert broken.status_code == 500 and broken.json()["error"]["code"] == "internal_error"
    assert broken.headers["x-request-id"] in broken.json()["error"]["message"]
    assert after.status_code == 200 and after.headers["x-request-id"] == "mine-2"
    assert not_hot.status_code == 405
    # A middleware added after answer_first() puts the hot routes back through the stack, so it sees them all.
    assert seen == ([*["/v1/chat/completions"] * 2, "/v1/completions", "/v1/embeddings", "/v1/chat/completions",
                     "/v1/chat/completions"] if added else [])
