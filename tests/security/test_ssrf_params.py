"""SSRF through request fields: a canary URL in every field litellm reads and in every nested place Warden
passes on, to deployments served through litellm and through Warden's own client, with failing primaries so
that any client-given fallback would fire. Not one connection may reach the canary, and the deployment's key
goes only to its configured host."""

from __future__ import annotations

import httpx
import pytest

from gateway.providers.parameters import CHAT_PARAMETERS, EMBEDDING_PARAMETERS, forbidden_field
from tests.security.canary import Canary
from tests.security.conftest import PROVIDER_KEY
from tests.security.placements import ROUTING_HEADERS, embeddings, in_headers, litellm_names, nested, send, \
    top_level
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

ALL_MODELS = ["lit-broken", "lit-chat", "native-broken", "native-chat"]


def _assert_only_configured_upstreams(canary: Canary, *upstreams: FakeUpstream) -> None:
    assert canary.connections == 0, canary.received[:3]
    assert not canary.seen(PROVIDER_KEY)
    for up in upstreams:
        for request in up.requests:
            assert request.headers["host"] == f"127.0.0.1:{up.port}", request.headers
            assert request.path in ("/v1/chat/completions", "/v1/embeddings"), request.path
            assert request.headers["authorization"] == f"Bearer {PROVIDER_KEY}"
            assert not set(request.headers) & (set(ROUTING_HEADERS) - {"host"}), request.headers
            if str(request.json.get("model", "")).startswith("lit-"):
                # litellm got only allow-listed arguments; what it sends is OpenAI's body, nothing the client named.
                assert not [k for k in request.json if forbidden_field(k)], request.json


def test_every_litellm_keyword_with_a_canary_url_reaches_nothing(
        target: RunningGateway, canary: Canary, good_upstream: FakeUpstream, broken_upstream: FakeUpstream) -> None:
    import litellm

    callbacks = {n: list(getattr(litellm, n)) for n in dir(litellm)
                 if n.endswith(("callback", "callbacks")) and isinstance(getattr(litellm, n), list)}
    names = litellm_names()
    assert len(names) > 300 and {"fallbacks", "callbacks", "success_callback", "headers", "model_list"} <= set(names)
    # The failing primaries: a fallback a client slipped in would fire there (bench/attack_probe.py tries all).
    # A refused name is refused the same way for every model: on the native one, only the names that pass.
    placements = [*top_level(["lit-broken"], canary.url, PROVIDER_KEY),
                  *(p for p in top_level(["native-broken"], canary.url, PROVIDER_KEY)
                    if not any(forbidden_field(k) for k in p.body))]
    statuses = send(target, placements)
    _assert_only_configured_upstreams(canary, good_upstream, broken_upstream)
    assert statuses[400] >= 100 and statuses[502] >= 100 and sum(statuses.values()) >= 600, statuses
    # No process-wide litellm callback was installed by a request (it would see every team's later calls).
    assert {n: list(getattr(litellm, n)) for n in callbacks} == callbacks


@pytest.mark.parametrize("name", ["fallbacks", "callbacks", "success_callback", "failure_callback", "headers",
                                  "extra_headers", "model_list", "api_base", "base_url", "api_key",
                                  "deployment_id", "langsmith_base_url", "token_exchange_endpoint"])
def test_fields_naming_endpoints_or_credentials_are_refused(target: RunningGateway, name: str) -> None:
    with target.http() as http:
        response = http.post("/v1/chat/completions", headers={"authorization": f"Bearer {target.keys['alpha']}"},
                             json={"model": "lit-chat", "messages": [{"role": "user", "content": "hi"}], name: "x"})
    assert response.status_code == 400
    assert response.json()["error"] | {"message": ""} == {"message": "", "type": "invalid_request_error",
                                                           "param": name, "code": "forbidden_parameter"}


def test_settings_litellm_would_read_never_become_its_arguments(
        target: RunningGateway, canary: Canary, good_upstream: FakeUpstream) -> None:
    """`timeout`, `num_retries`, `stream_timeout`... are not refused, but litellm never sees them: the call keeps
    the deployment's settings and answers normally."""
    good_upstream.reset()
    body = {"model": "lit-chat", "messages": [{"role": "user", "content": "[[fake:slow=1500]] hi"}],
            "timeout": 0.001, "num_retries": 50, "max_retries": 50, "stream_timeout": 0.001, "request_timeout": 0.001}
    with target.http() as http:
        response = http.post("/v1/chat/completions", json=body,
                             headers={"authorization": f"Bearer {target.keys['alpha']}"})
    assert response.status_code == 200, response.text
    assert len(good_upstream.requests) == 1
    assert set(good_upstream.requests[0].json) <= CHAT_PARAMETERS | {"extra_body"}


def test_unknown_fields_reach_openai_compatible_upstreams_only_as_body_fields(
        target: RunningGateway, good_upstream: FakeUpstream) -> None:
    good_upstream.reset()
    body = {"model": "native-chat", "messages": [{"role": "user", "content": "hi"}], "top_k": 5,
            "repetition_penalty": 1.1, "num_retries": 3}
    with target.http() as http:
        assert http.post("/v1/chat/completions", json=body,
                         headers={"authorization": f"Bearer {target.keys['alpha']}"}).status_code == 200
    sent = good_upstream.requests[0]
    assert sent.json["top_k"] == 5 and sent.json["num_retries"] == 3 and sent.path == "/v1/chat/completions"


def test_nested_urls_headers_and_prompt_names_reach_nothing(
        target: RunningGateway, canary: Canary, good_upstream: FakeUpstream, broken_upstream: FakeUpstream) -> None:
    placements = [*nested(ALL_MODELS, canary.url), *in_headers(ALL_MODELS, canary.url),
                  *embeddings(["lit-embed", "native-embed"], canary.url, PROVIDER_KEY)]
    assert len(placements) >= 150
    send(target, placements)
    _assert_only_configured_upstreams(canary, good_upstream, broken_upstream)


def test_media_urls_are_refused_on_litellm_deployments(target: RunningGateway, canary: Canary) -> None:
    """litellm downloads image and PDF URLs itself, from the gateway's network: through it, media is inline."""
    part = {"type": "file", "file": {"file_id": canary.url + "/a.pdf"}}
    with target.http() as http:
        response = http.post("/v1/chat/completions", headers={"authorization": f"Bearer {target.keys['alpha']}"},
                             json={"model": "lit-chat", "messages": [{"role": "user", "content": [part]}]})
    assert response.status_code == 400 and response.json()["error"]["code"] == "remote_media_refused"
    assert canary.connections == 0


def test_allow_lists_cover_what_the_api_documents() -> None:
    assert {"messages", "tools", "response_format", "stream_options", "max_completion_tokens"} <= CHAT_PARAMETERS
    assert EMBEDDING_PARAMETERS == {"input", "model", "dimensions", "encoding_format", "user"}
    assert not [name for name in CHAT_PARAMETERS | EMBEDDING_PARAMETERS if forbidden_field(name)]
