"""Load balancing, retries, fallbacks and cooldowns, observed on real fake upstreams."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

USER = [{"role": "user", "content": "hi"}]
FAST = {"retry_backoff_s": 0.01, "max_backoff_s": 0.05}


def test_deployments_are_load_balanced(make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream), deployment("chat-a", second_upstream)]}
    with make_gateway(config) as gw:
        for _ in range(30):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        first, second = len(upstream.requests), len(second_upstream.requests)
        assert first + second == 30 and first >= 5 and second >= 5
        assert {r.deployment for r in gw.rows()} == {"chat-a#0", "chat-a#1"}


def test_retry_until_success(make_gateway: Any, upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream)],
              "router_settings": {"num_retries": 2, "allowed_fails": 5, **FAST}}
    with make_gateway(config) as gw:
        answer = gw.client().chat.completions.create(
            model="chat-a", messages=[{"role": "user", "content": "again [[fake:fail_first=2]]"}])
        assert answer.choices[0].message.content
        assert len(upstream.requests) == 3 and gw.rows()[-1].attempts == 3


def test_fallback_to_another_model(make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=503)
    config = {"model_list": [deployment("primary", upstream), deployment("backup", second_upstream)],
              "router_settings": {"num_retries": 1, "fallbacks": [{"primary": ["backup"]}], **FAST}}
    with make_gateway(config) as gw:
        raw = gw.client().chat.completions.with_raw_response.create(model="primary", messages=USER)
        assert raw.headers["x-warden-fallback-from"] == "primary"
        row = gw.row(raw.headers["x-request-id"])
        assert (row.served_model, row.fallback_from, row.attempts) == ("backup", "primary", 3)
        assert len(upstream.requests) == 2 and len(second_upstream.requests) == 1


def test_litellm_settings_fallbacks_are_accepted(make_gateway: Any, upstream: FakeUpstream,
                                                 second_upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=500)
    config = {"model_list": [deployment("primary", upstream), deployment("backup", second_upstream)],
              "litellm_settings": {"num_retries": 0, "fallbacks": [{"primary": ["backup"]}]}}
    with make_gateway(config) as gw:
        assert gw.client().chat.completions.create(model="primary", messages=USER)
        assert len(upstream.requests) == 1


def test_failing_deployment_cools_down(make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=500)
    config = {"model_list": [deployment("chat-a", upstream), deployment("chat-a", second_upstream)],
              "router_settings": {"num_retries": 3, "allowed_fails": 2, "cooldown_time": 60, **FAST}}
    with make_gateway(config) as gw:
        for _ in range(20):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        # After two failures the broken deployment is out of rotation for 60 s.
        assert len(upstream.requests) == 2 and len(second_upstream.requests) == 20


def test_all_cooling_gives_503_with_retry_after(make_gateway: Any, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=500)
    config = {"model_list": [deployment("chat-a", upstream)],
              "router_settings": {"num_retries": 0, "allowed_fails": 1, "cooldown_time": 30, **FAST}}
    with make_gateway(config) as gw:
        with pytest.raises(openai.InternalServerError):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        with pytest.raises(openai.InternalServerError) as raised:
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        assert raised.value.status_code == 503 and int(raised.value.response.headers["retry-after"]) >= 1
        assert len(upstream.requests) == 1


def test_stream_retries_before_first_chunk(make_gateway: Any, upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream)], "router_settings": {"num_retries": 2, "allowed_fails": 5, **FAST}}
    with make_gateway(config) as gw:
        stream = gw.client().chat.completions.create(
            model="chat-a", messages=[{"role": "user", "content": "go [[fake:fail_first=1]]"}], stream=True)
        assert "go" in "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
        assert len(upstream.requests) == 2


def test_missing_secret_makes_deployment_unavailable(make_gateway: Any, upstream: FakeUpstream) -> None:
    broken = deployment("chat-a", upstream, api_key="os.environ/WARDEN_TEST_UNSET_SECRET")
    config = {"model_list": [broken]}
    with make_gateway(config) as gw:
        with pytest.raises(openai.APIStatusError) as raised:
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        assert raised.value.status_code == 502 and "WARDEN_TEST_UNSET_SECRET" in raised.value.message
        assert not upstream.requests


def test_litellm_transport(make_gateway: Any, upstream: FakeUpstream) -> None:
    """The litellm path (used for non-OpenAI providers) works end to end, streamed or not."""
    config = {"model_list": [deployment("via-litellm", upstream, model_info={"transport": "litellm"})]}
    with make_gateway(config) as gw:
        answer = gw.client().chat.completions.create(model="via-litellm", messages=USER)
        assert "hi" in answer.choices[0].message.content
        chunks = list(gw.client().chat.completions.create(model="via-litellm", messages=USER, stream=True,
                                                          stream_options={"include_usage": True}))
        assert "hi" in "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        rows = gw.rows()
        assert [r.status for r in rows] == ["ok", "ok"] and all(r.completion_tokens > 0 for r in rows)
        assert upstream.requests[0].headers["authorization"] == "Bearer sk-upstream-secret"
