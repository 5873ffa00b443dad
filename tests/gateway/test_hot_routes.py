"""The pipeline's POST routes answer through the hot-route dispatch exactly as FastAPI's router would: the same
paths with and without `/v1`, other methods and near-miss paths left to FastAPI, errors in OpenAI's format. A route
that stops taking the bare request cannot be dispatched past its dependencies: start-up refuses it."""

from __future__ import annotations

import pytest
from fastapi import APIRouter, Depends, Request, Response

from gateway.api.hot_routes import hot_routes
from gateway.app import HOT_PATHS
from tests.support.gateway_server import RunningGateway

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
