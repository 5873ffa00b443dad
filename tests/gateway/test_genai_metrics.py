"""GenAI-convention metrics and deployment cooldown gauges, read from a live /metrics after real requests."""

from __future__ import annotations

import time
from typing import Any

import openai
from prometheus_client.parser import text_string_to_metric_families

from gateway.metrics import Metrics
from gateway.pipeline.context import RequestContext
from gateway.providers.base import Deployment
from gateway.providers.cost import TokenDetails, token_details
from gateway.providers.router import Served
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

USER = [{"role": "user", "content": "tell me something"}]
FAST = {"retry_backoff_s": 0.01, "max_backoff_s": 0.05}


def _samples(gw: RunningGateway) -> list[tuple[str, dict[str, str], float]]:
    text = gw.http().get("/metrics").text
    return [(s.name, dict(s.labels), s.value) for family in text_string_to_metric_families(text)
            for s in family.samples]


def _value(gw: RunningGateway, name: str, **labels: str) -> float:
    return sum(v for n, ls, v in _samples(gw) if n == name and all(ls.get(k) == w for k, w in labels.items()))


def test_tokens_and_durations_by_deployment_provider_and_token_type(gw: RunningGateway) -> None:
    gw.client().chat.completions.create(model="chat-a", messages=USER)
    gw.client().embeddings.create(model="embed-a", input="hello")
    gw.flush()
    chat = {"gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai", "gen_ai_request_model": "chat-a",
            "deployment": "chat-a#0"}
    assert _value(gw, "gen_ai_client_token_usage_count", gen_ai_token_type="input", **chat) == 1
    assert _value(gw, "gen_ai_client_token_usage_sum", gen_ai_token_type="output", **chat) > 0
    assert _value(gw, "gen_ai_client_operation_duration_seconds_count", **chat) == 1
    assert _value(gw, "gen_ai_client_token_usage_count", gen_ai_operation_name="embeddings",
                  gen_ai_token_type="input") == 1
    assert _value(gw, "gen_ai_client_token_usage_count", gen_ai_operation_name="embeddings",
                  gen_ai_token_type="output") == 0
    assert _value(gw, "gen_ai_server_time_to_first_token_seconds_count") == 0  # not a stream


def test_a_stream_records_time_to_first_token_and_per_output_token(gw: RunningGateway) -> None:
    stream = gw.client().chat.completions.create(model="chat-a", messages=USER, stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    gw.flush()
    assert _value(gw, "gen_ai_server_time_to_first_token_seconds_count", deployment="chat-a#0") == 1
    assert _value(gw, "gen_ai_server_time_per_output_token_seconds_count", deployment="chat-a#0") == 1
    assert _value(gw, "gen_ai_server_time_to_first_token_seconds_sum") > 0


def test_unknown_models_add_no_genai_series(gw: RunningGateway) -> None:
    for name in ("no-such-model-1", "no-such-model-2"):
        try:
            gw.client().chat.completions.create(model=name, messages=USER)
        except openai.NotFoundError:
            pass
    gw.flush()
    names = {ls.get("gen_ai_request_model") for n, ls, _ in _samples(gw) if n.startswith("gen_ai_")}
    assert not any(str(name).startswith("no-such-model") for name in names)


def test_cooldown_gauges_follow_the_router(make_gateway: Any, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=500)
    config = {"model_list": [deployment("chat-a", upstream)],
              "router_settings": {"num_retries": 0, "allowed_fails": 1, "cooldown_time": 30, **FAST}}
    with make_gateway(config) as gw:
        assert _value(gw, "warden_deployment_cooldown", model="chat-a", deployment="chat-a#0") == 0
        try:
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        except openai.InternalServerError:
            pass
        assert _value(gw, "warden_deployment_cooldown", model="chat-a", deployment="chat-a#0") == 1
        assert 0 < _value(gw, "warden_deployment_cooldown_remaining_seconds", deployment="chat-a#0") <= 30
        gw.flush()
        # The failed call is a measured operation without a deployment that answered.
        assert _value(gw, "gen_ai_client_operation_duration_seconds_count", deployment="-",
                      gen_ai_request_model="chat-a") == 1


def test_remaining_team_budget_is_a_gauge(make_gateway: Any, upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream)]}
    with make_gateway(config, {"alpha": {"budget_usd": 5.0, "budget_period": "day"}, "beta": {}}) as gw:
        assert _value(gw, "warden_team_budget_remaining_usd", team="alpha") == 0  # no request yet: no series
        gw.client().chat.completions.create(model="chat-a", messages=USER)
        gw.flush()
        deadline = time.monotonic() + 5
        while _value(gw, "warden_team_budget_remaining_usd", team="alpha", period="day") in (0, 5.0):
            assert time.monotonic() < deadline, "the spend was never settled"
            time.sleep(0.05)
        assert 0 < _value(gw, "warden_team_budget_remaining_usd", team="alpha", period="day") < 5.0
        assert _value(gw, "warden_team_budget_limit_usd", team="alpha", period="day") == 5.0
        gw.client("beta").chat.completions.create(model="chat-a", messages=USER)
        assert not any(ls.get("team") == "beta" for n, ls, _ in _samples(gw) if n.startswith("warden_team_budget"))


def test_cached_and_reasoning_tokens_are_their_own_token_types() -> None:
    metrics = Metrics()
    served = Served(Deployment(id="chat-a#0", model_name="chat-a", provider="openai", upstream_model="chat-a-up",
                               litellm_model="openai/chat-a-up", transport="native"), attempts=1)
    ctx = RequestContext(request_id="r1", endpoint="chat", served=served, upstream_started=0.0, upstream_ms=10.0)
    ctx.prompt_tokens, ctx.completion_tokens = 100, 50
    ctx.token_details = token_details(
        {"prompt_tokens_details": {"cached_tokens": 64}, "completion_tokens_details": {"reasoning_tokens": 30}})
    metrics.genai.observe(ctx, "chat-a")
    text = metrics.render().decode()
    sums = {dict(s.labels)["gen_ai_token_type"]: s.value for f in text_string_to_metric_families(text)
            for s in f.samples if s.name == "gen_ai_client_token_usage_sum"}
    assert sums == {"input": 100, "output": 50, "cached_input": 64, "reasoning": 30}
    assert token_details(None) == token_details({"prompt_tokens_details": None}) == TokenDetails()
