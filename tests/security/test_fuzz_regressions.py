"""Bad input the probe turned into 500s: each answers 400 (or 404/409) in the API's error format, with the
request id in the `x-request-id` header on admin and registry routes too."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.gateway_server import RunningGateway, running_gateway

BIG = 2**63  # one past the largest BIGINT
HUGE = 10**30


@pytest.fixture(params=["sqlite", "postgresql"])
def gw(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RunningGateway]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'gw.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    with running_gateway({"model_list": [], "prompts": None}, url, {"alpha": {}, "beta": {}}, tmp_path) as running:
        yield running


def _client(gw: RunningGateway) -> httpx.Client:
    # A fresh connection per request: an error must not depend on (or damage) a kept-alive one.
    return httpx.Client(base_url=gw.base_url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))


def _clean_error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["x-request-id"].startswith("req_")
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]
    return error


def test_durations_beyond_what_dates_hold_are_400(gw: RunningGateway) -> None:
    team = {"authorization": f"Bearer {gw.keys['alpha']}"}
    admin = {"authorization": f"Bearer {gw.admin_key}"}
    with _client(gw) as http:
        for since in ("99999999999d", "999999999999w", "5000000000000s", "100000d"):
            assert _clean_error(http.get("/team/costs", params={"since": since}, headers=team))["param"] == "since"
            assert _clean_error(http.get("/admin/costs", params={"since": since}, headers=admin))["param"] == "since"
        expires = http.post("/admin/keys", json={"team": "alpha", "expires": "99999999999d"}, headers=admin)
        assert _clean_error(expires)["param"] == "expires"


@pytest.mark.parametrize("field", ["rpm", "tpm"])
@pytest.mark.parametrize("value", [BIG, HUGE])
def test_counts_beyond_64_bits_are_400(gw: RunningGateway, field: str, value: int) -> None:
    admin = {"authorization": f"Bearer {gw.admin_key}"}
    with _client(gw) as http:
        key = http.post("/admin/keys", json={"team": "alpha", field: value}, headers=admin)
        assert _clean_error(key)["param"] == field
        team = http.post("/admin/teams", json={"name": f"t{uuid.uuid4().hex[:8]}", field: value}, headers=admin)
        assert _clean_error(team)["param"] == field


def test_registry_ids_and_offsets_beyond_64_bits_are_400(gw: RunningGateway) -> None:
    team = {"authorization": f"Bearer {gw.keys['alpha']}"}
    admin = {"authorization": f"Bearer {gw.admin_key}"}
    with _client(gw) as http:
        for value in (BIG, HUGE):
            _clean_error(http.get(f"/registry/reviews/{value}", headers=team))
            _clean_error(http.post(f"/registry/reviews/{value}/votes", json={"vote": "approve"}, headers=team))
            _clean_error(http.get("/registry/audit", params={"offset": value}, headers=admin))
        name = f"m{uuid.uuid4().hex[:8]}"
        http.post("/registry/models", json={"name": name, "kind": "classical", "owner": "a", "team": "alpha",
                                            "use_case": "x"}, headers=team).raise_for_status()
        _clean_error(http.get(f"/registry/models/{name}/audit", params={"offset": BIG}, headers=team))


def test_monitoring_after_a_reference_is_registered_again_with_another_shape(gw: RunningGateway) -> None:
    team = {"authorization": f"Bearer {gw.keys['alpha']}"}
    name = f"m{uuid.uuid4().hex[:8]}"
    model = f"/registry/models/{name}"
    now = datetime.now(UTC)
    with _client(gw) as http:
        def ok(method: str, path: str, body: object = None) -> None:
            response = http.request(method, path, json=body, headers=team)
            assert response.status_code in (200, 201), f"{method} {path}: {response.status_code} {response.text}"

        ok("POST", "/registry/models", {"name": name, "kind": "classical", "owner": "a", "team": "alpha",
                                        "use_case": "x"})
        ok("POST", model + "/versions", {"version": "1"})
        ok("PUT", model + "/versions/1/reference", {"features": {"x": [0.1, 0.2, 0.3] * 100},
                                                    "predictions": [0, 1, 1] * 100, "scores": [0.2, 0.7, 0.8] * 100})
        ok("POST", model + "/predictions", [
            {"model_version": "1", "ts": (now - timedelta(minutes=i)).isoformat(), "request_id": f"r{i}",
             "features": {"x": 0.5}, "prediction": 1, "score": 0.6} for i in range(60)])
        ok("POST", model + "/monitoring/run")
        # Again, with another shape: `x` categorical now, and no scores.
        ok("PUT", model + "/versions/1/reference", {"features": {"x": ["a", "b", "c"] * 100},
                                                    "predictions": ["p", "q", "r"] * 100})
        ok("POST", model + "/predictions", [
            {"model_version": "1", "ts": (now - timedelta(minutes=i)).isoformat(), "request_id": f"s{i}",
             "features": {"x": "a"}, "prediction": "p"} for i in range(30)])
        ok("POST", model + "/monitoring/run")
        ok("GET", model + "/monitoring")
        ok("GET", model + "/report")
        ok("GET", model + "/report?format=json")
        ok("GET", "/registry/alerts")


def test_unexpected_errors_name_the_request_on_every_route(gw: RunningGateway) -> None:
    with _client(gw) as http:
        for path in ("/admin/teams", "/registry/models", "/healthz", "/v1/models"):
            response = http.get(path, headers={"x-request-id": "probe-123"})
            assert response.headers["x-request-id"] == "probe-123", path
        assert http.get("/admin/teams").headers["x-request-id"].startswith("req_")


@pytest.mark.parametrize(("path", "body"), [
    ("/v1/completions", {"model": "m", "prompt": "hi", "max_tokens": HUGE}),
    ("/v1/completions", {"model": "m", "prompt": "hi", "seed": HUGE}),
    ("/v1/messages", {"model": "m", "max_tokens": HUGE, "messages": [{"role": "user", "content": "hi"}]}),
    ("/v1/responses", {"model": "m", "input": "hi", "max_output_tokens": HUGE}),
])
def test_adapters_refuse_integers_json_cannot_forward(gw: RunningGateway, path: str, body: dict[str, Any]) -> None:
    """Adapters read a body with pydantic (any integer size) and forward JSON (64 bits): a 400, never a 500."""
    team = {"authorization": f"Bearer {gw.keys['alpha']}"}
    with _client(gw) as http:
        _clean_error(http.post(path, json=body, headers=team))
