"""Every error a client can meet comes back in OpenAI's format, so the SDK raises its usual exception, and
every one of them leaves a usage row."""

from __future__ import annotations

from datetime import timedelta

import openai
import pytest

from registry.keys import create_key, revoke_key
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

USER = [{"role": "user", "content": "hi"}]


def _error(exc: openai.APIStatusError) -> dict:
    return exc.response.json()["error"]


@pytest.mark.parametrize(
    ("key", "code"),
    [("", "missing_api_key"), ("wk-not-a-real-key", "invalid_api_key")],
)
def test_401_for_missing_or_unknown_key(gw: RunningGateway, key: str, code: str) -> None:
    with gw.http() as http:
        headers = {"authorization": f"Bearer {key}"} if key else {}
        response = http.post("/v1/chat/completions", json={"model": "chat-a", "messages": USER}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code and response.headers["x-request-id"]


def test_401_revoked_and_expired(gw: RunningGateway) -> None:
    row, plain = create_key(gw.engine, team="alpha")
    assert gw.client(key=plain).chat.completions.create(model="chat-a", messages=USER)
    revoke_key(gw.engine, row.id)
    gw.gateway.keys.invalidate()
    with pytest.raises(openai.AuthenticationError) as raised:
        gw.client(key=plain).chat.completions.create(model="chat-a", messages=USER)
    assert "revoked" in _error(raised.value)["message"]
    _, expired = create_key(gw.engine, team="alpha", expires_in=timedelta(seconds=-1))
    with pytest.raises(openai.AuthenticationError) as raised:
        gw.client(key=expired).chat.completions.create(model="chat-a", messages=USER)
    assert _error(raised.value)["code"] == "expired_api_key"


def test_403_model_not_allowed_for_team(gw: RunningGateway, upstream: FakeUpstream) -> None:
    with pytest.raises(openai.PermissionDeniedError) as raised:
        gw.client("beta").chat.completions.create(model="chat-a", messages=USER)
    assert "chat-a" in _error(raised.value)["message"] and not upstream.requests_to("/chat/completions")
    assert gw.rows(team="beta")[-1].status_code == 403


def test_404_unknown_model(gw: RunningGateway) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        gw.client().chat.completions.create(model="no-such-model", messages=USER)
    assert _error(raised.value)["code"] == "model_not_found"
    assert gw.rows(requested_model="no-such-model")[-1].status_code == 404


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"model": "chat-a"}, "messages"),
        ({"model": "chat-a", "messages": []}, "messages"),
        ({"model": "chat-a", "messages": [{"role": "wizard", "content": "x"}]}, "messages.0.role"),
        ({"model": "chat-a", "messages": USER, "n": "two"}, "n"),
        ({"model": "chat-a", "messages": USER, "temperature": 9}, "temperature"),
        ({"model": "chat-a", "messages": USER, "max_tokens": 0}, "max_tokens"),
        ({"model": "chat-a", "messages": USER, "api_base": "http://evil.example/v1"}, "api_base"),
        ({"messages": USER}, "model"),
    ],
)
def test_400_names_the_bad_field(gw: RunningGateway, upstream: FakeUpstream, body: dict, param: str) -> None:
    with gw.http() as http:
        response = http.post("/v1/chat/completions", json=body, headers={"authorization": f"Bearer {gw.keys['alpha']}"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == param
    assert not upstream.requests_to("/chat/completions")


def test_400_invalid_json(gw: RunningGateway) -> None:
    with gw.http() as http:
        response = http.post("/v1/chat/completions", content=b"{not json",
                             headers={"authorization": f"Bearer {gw.keys['alpha']}", "content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_json"


def test_413_oversize_body(gw: RunningGateway) -> None:
    big = "x" * (9 * 1024 * 1024)
    with pytest.raises(openai.APIStatusError) as raised:
        gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": big}])
    assert raised.value.status_code == 413


def test_429_rate_limit_with_retry_after(make_gateway, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    from tests.gateway.conftest import deployment

    config = {"model_list": [deployment("chat-a", upstream)]}
    with make_gateway(config, {"alpha": {"key": {"rpm": 2}}}) as gw:
        client = gw.client()
        client.chat.completions.create(model="chat-a", messages=USER)
        client.chat.completions.create(model="chat-a", messages=USER)
        with pytest.raises(openai.RateLimitError) as raised:
            client.chat.completions.create(model="chat-a", messages=USER)
        assert int(raised.value.response.headers["retry-after"]) >= 1
        assert "rpm" in _error(raised.value)["message"]
        assert len(upstream.requests_to("/chat/completions")) == 2
        assert gw.rows()[-1].status_code == 429


def test_budget_exhausted_is_429(make_gateway, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    from tests.gateway.conftest import deployment

    config = {"model_list": [deployment("chat-a", upstream)]}
    with make_gateway(config, {"alpha": {"key": {"budget_usd": 0.00001}}}) as gw:
        with pytest.raises(openai.RateLimitError) as raised:
            gw.client().chat.completions.create(model="chat-a", messages=USER, max_tokens=100000)
        assert _error(raised.value)["code"] == "budget_exceeded"
        assert not upstream.requests_to("/chat/completions")


@pytest.mark.parametrize(
    ("directive", "exception", "status", "code"),
    [
        ("[[fake:status=500]]", openai.InternalServerError, 502, "upstream_error"),
        ("[[fake:malformed_json]]", openai.InternalServerError, 502, "upstream_error"),
        ("[[fake:slow=3000]]", openai.InternalServerError, 504, "upstream_timeout"),
        ("[[fake:status=429]] [[fake:retry_after=1]]", openai.RateLimitError, 429, "upstream_rate_limited"),
        ("[[fake:status=400]]", openai.BadRequestError, 400, "upstream_bad_request"),
    ],
)
def test_upstream_failures(make_gateway, upstream: FakeUpstream, directive: str, exception: type,  # type: ignore[no-untyped-def]
                           status: int, code: str) -> None:
    from tests.gateway.conftest import deployment

    config = {"model_list": [deployment("chat-a", upstream, timeout=0.5)],
              "router_settings": {"num_retries": 1, "retry_backoff_s": 0.01, "max_backoff_s": 0.05,
                                  "cooldown_time": 0}}
    with make_gateway(config) as gw:
        with pytest.raises(exception) as raised:
            gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": directive}])
        assert raised.value.status_code == status and _error(raised.value)["code"] == code
        row = gw.rows()[-1]
        assert (row.status, row.status_code, row.error_type) == ("error", status, code)
        expected_calls = 1 if status == 400 else 2
        assert len(upstream.requests_to("/chat/completions")) == expected_calls


def test_unknown_route_is_openai_shaped(gw: RunningGateway) -> None:
    with gw.http() as http:
        response = http.get("/v1/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_wrong_model_type(gw: RunningGateway) -> None:
    with pytest.raises(openai.BadRequestError):
        gw.client().chat.completions.create(model="embed-a", messages=USER)
    with pytest.raises(openai.BadRequestError):
        gw.client().embeddings.create(model="chat-a", input="x")
