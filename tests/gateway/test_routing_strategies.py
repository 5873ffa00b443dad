"""Routing strategies and tag-based routing, observed over HTTP on fake upstreams with real sockets.

Each test prints the share of requests per deployment (`-s` shows them): those are the figures quoted for the
strategies.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import openai
import pytest

from gateway.config import ConfigError, parse_config
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

USER = [{"role": "user", "content": "hi"}]
FAST = {"retry_backoff_s": 0.01, "max_backoff_s": 0.05}


def _shares(gw: Any, label: str) -> Counter[str]:
    served = Counter(r.deployment for r in gw.rows())
    total = sum(served.values())
    print(f"{label}: " + ", ".join(f"{d} {n}/{total}" for d, n in sorted(served.items())))
    return served


def _config(strategy: str, *deployments: dict[str, Any], **router: Any) -> dict[str, Any]:
    return {"model_list": list(deployments), "router_settings": {"routing_strategy": strategy, **FAST, **router}}


def test_latency_based_sends_most_traffic_to_the_fast_upstream(make_gateway: Any, upstream: FakeUpstream,
                                                               second_upstream: FakeUpstream) -> None:
    upstream.set_behaviour(slow=120)
    config = _config("latency-based-routing", deployment("chat-a", upstream), deployment("chat-a", second_upstream))
    with make_gateway(config) as gw:
        for _ in range(40):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        served = _shares(gw, "latency-based-routing, #0 slow (120 ms), #1 fast")
        assert served["chat-a#0"] >= 2  # measured twice in the warm-up
        assert served["chat-a#1"] >= 30  # then 10% exploration, half of it to the slow one: ~4 of 40 expected


def test_least_busy_spreads_concurrent_slow_requests(make_gateway: Any, upstream: FakeUpstream,
                                                    second_upstream: FakeUpstream) -> None:
    for up in (upstream, second_upstream):
        up.set_behaviour(slow=400)
    config = _config("least-busy", deployment("chat-a", upstream), deployment("chat-a", second_upstream))
    with make_gateway(config) as gw:
        client = gw.client()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: client.chat.completions.create(model="chat-a", messages=USER), range(8)))
        served = _shares(gw, "least-busy, 8 concurrent 400 ms requests")
        assert served["chat-a#0"] == served["chat-a#1"] == 4


def test_cost_based_picks_the_cheap_deployment_and_still_fails_over(make_gateway: Any, upstream: FakeUpstream,
                                                                    second_upstream: FakeUpstream) -> None:
    cheap = deployment("chat-a", upstream, input_cost_per_token=1e-7, output_cost_per_token=2e-7)
    dear = deployment("chat-a", second_upstream, input_cost_per_token=1e-5, output_cost_per_token=2e-5)
    with make_gateway(_config("cost-based-routing", dear, cheap, num_retries=1, allowed_fails=1)) as gw:
        for _ in range(20):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        assert _shares(gw, "cost-based-routing")["chat-a#1"] == 20
        upstream.set_behaviour(status=500)  # the cheap one fails, cools down: the dear one answers
        raw = gw.client().chat.completions.with_raw_response.create(model="chat-a", messages=USER)
        assert gw.row(raw.headers["x-request-id"]).deployment == "chat-a#0"
        assert len(upstream.requests) == 21 and len(second_upstream.requests) == 1


def test_usage_based_prefers_the_deployment_with_tpm_headroom(make_gateway: Any, upstream: FakeUpstream,
                                                              second_upstream: FakeUpstream) -> None:
    small = deployment("chat-a", upstream, tpm=100)
    large = deployment("chat-a", second_upstream, tpm=100_000)
    with make_gateway(_config("usage-based-routing-v2", small, large)) as gw:
        for _ in range(20):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        served = _shares(gw, "usage-based-routing-v2, tpm 100 vs 100000")
        # The small one may take the first pick (both empty) and one more if the test crosses into a new minute
        # (counts are per wall-clock minute); a random choice would give it about half.
        assert served["chat-a#0"] <= 2 and served["chat-a#1"] >= 18


def test_usage_based_alternates_equal_deployments(make_gateway: Any, upstream: FakeUpstream,
                                                 second_upstream: FakeUpstream) -> None:
    config = _config("usage-based-routing", deployment("chat-a", upstream, tpm=10_000),
                     deployment("chat-a", second_upstream, tpm=10_000))
    with make_gateway(config) as gw:
        for _ in range(10):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        served = _shares(gw, "usage-based-routing, equal tpm")
        assert served["chat-a#0"] == served["chat-a#1"] == 5


def test_tags_select_the_tagged_deployment(make_gateway: Any, upstream: FakeUpstream,
                                           second_upstream: FakeUpstream) -> None:
    config = _config("simple-shuffle", deployment("chat-a", upstream, tags=["fast", "eu"]),
                     deployment("chat-a", second_upstream, tags=["default"]))
    with make_gateway(config) as gw:
        client = gw.client()
        for _ in range(5):
            client.chat.completions.create(model="chat-a", messages=USER, extra_body={"tags": ["fast"]})
            client.chat.completions.create(model="chat-a", messages=USER,
                                           metadata={"tags": ["eu", "fast"], "app": "x"})  # type: ignore[dict-item]
            client.chat.completions.create(model="chat-a", messages=USER)  # untagged: the `default` deployment
        assert len(upstream.requests) == 10 and len(second_upstream.requests) == 5
        sent = upstream.requests[-1].json
        assert "tags" not in sent and sent["metadata"] == {"app": "x"}  # routing tags are not sent upstream
        _shares(gw, "tags: 5 fast, 5 metadata eu+fast, 5 untagged")


@pytest.mark.parametrize("body, param", [
    ({"tags": ["gpu"]}, "tags"),
    ({"metadata": {"tags": ["fast", "gpu"]}}, "tags"),
    ({"tags": "fast"}, None),  # a string is one tag: served
    ({"tags": [1]}, "tags"),
    ({"metadata": {"team": ["a"]}}, None),
])
def test_bad_or_unknown_tags_are_a_400(make_gateway: Any, upstream: FakeUpstream, body: dict[str, Any],
                                       param: str | None) -> None:
    with make_gateway(_config("simple-shuffle", deployment("chat-a", upstream, tags=["fast"]))) as gw:
        response = gw.http().post("/v1/chat/completions", headers={"authorization": f"Bearer {gw.keys['alpha']}"},
                                  json={"model": "chat-a", "messages": USER, **body})
        if body == {"tags": "fast"}:
            assert response.status_code == 200
            return
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error["type"] == "invalid_request_error" and error["message"]
        if param:
            assert error["param"] == param


def test_unknown_tag_raises_the_sdks_bad_request(make_gateway: Any, upstream: FakeUpstream) -> None:
    with make_gateway(_config("least-busy", deployment("chat-a", upstream, tags=["fast"]))) as gw:
        with pytest.raises(openai.BadRequestError) as caught:
            gw.client().chat.completions.create(model="chat-a", messages=USER, extra_body={"tags": ["gpu"]})
        assert caught.value.code == "no_deployment_for_tags" and "gpu" in caught.value.message
        assert upstream.requests == []


def test_an_unknown_strategy_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="routing_strategy"):
        parse_config({"router_settings": {"routing_strategy": "fastest-first"}})


@pytest.mark.parametrize("strategy", ["cost-based-routing", "latency-based-routing", "least-busy",
                                      "usage-based-routing"])
def test_the_usage_policy_restriction_holds_under_every_strategy(make_gateway: Any, upstream: FakeUpstream,
                                                                 second_upstream: FakeUpstream, strategy: str) -> None:
    cheap = deployment("chat-a", upstream, input_cost_per_token=1e-8, model_info={"id": "public"})
    private = deployment("chat-a", second_upstream, input_cost_per_token=1e-5, model_info={"id": "private"})
    config = {**_config(strategy, cheap, private),
              "usage_policy": {"deployments": {"public": "public", "private": "internal"},
                               "markers": [{"name": "label", "pattern": "(?i)internal only",
                                            "data_class": "internal"}]}}
    with make_gateway(config) as gw:
        for _ in range(6):
            raw = gw.client().chat.completions.with_raw_response.create(
                model="chat-a", messages=[{"role": "user", "content": "internal only: the Q3 plan"}])
            assert raw.headers["x-warden-deployment"] == "private"
        assert upstream.requests == [] and len(second_upstream.requests) == 6
