"""LiteLLM's router settings Warden implements, each over HTTP with the openai SDK against fake upstreams:
`order` (deployment priority), `retry_policy` (retries per kind of error), `model_info.access_groups` (keys and
teams granted a group) and `context_window_fallbacks` (a prompt too long for a model goes to a larger one)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream

USER = [{"role": "user", "content": "hello"}]
FAST = {"num_retries": 1, "retry_backoff_s": 0.01, "cooldown_time": 0}


def test_order_serves_the_lowest_order_and_the_next_only_on_failure(make_gateway: GatewayFactory,
                                                                   upstream: FakeUpstream,
                                                                   second_upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", second_upstream, order=2), deployment("chat-a", upstream, order=1)],
              "router_settings": FAST}
    with make_gateway(config) as gw:
        for _ in range(6):
            gw.client().chat.completions.create(model="chat-a", messages=USER)
        assert (len(upstream.requests), len(second_upstream.requests)) == (6, 0)
        upstream.enqueue(status=500)
        gw.client().chat.completions.create(model="chat-a", messages=USER)
        assert (len(upstream.requests), len(second_upstream.requests)) == (7, 1)
        assert gw.rows()[-1].deployment == "chat-a#0" and gw.rows()[-1].attempts == 2


@pytest.mark.parametrize(("directive", "status", "calls"), [
    # num_retries is 1, the policy allows 3 retries after a server error: the fourth call answers.
    ("[[fake:fail_first=3]]", None, 4),
    # ... and none after a rate limit: one call, the client gets the 429.
    ("[[fake:status=429]]", 429, 1),
    # A timeout is not in the policy: num_retries applies (two calls), then the gateway's 504.
    ("[[fake:slow=3000]]", 504, 2),
])
def test_retry_policy_sets_retries_per_kind_of_error(make_gateway: GatewayFactory, upstream: FakeUpstream,
                                                     directive: str, status: int | None, calls: int) -> None:
    policy = {"InternalServerErrorRetries": 3, "RateLimitErrorRetries": 0}
    config = {"model_list": [deployment("chat-a", upstream, timeout=0.5)],
              "router_settings": {**FAST, "retry_policy": policy}}
    with make_gateway(config) as gw:
        messages = [{"role": "user", "content": f"hello {directive}"}]
        if status is None:
            gw.client().chat.completions.create(model="chat-a", messages=messages)
        else:
            with pytest.raises(openai.APIStatusError) as caught:
                gw.client().chat.completions.create(model="chat-a", messages=messages)
            assert caught.value.status_code == status
        assert len(upstream.requests) == calls


def test_retry_policy_can_retry_bad_requests(make_gateway: GatewayFactory, upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream)],
              "router_settings": {**FAST, "retry_policy": {"BadRequestErrorRetries": 2}}}
    with make_gateway(config) as gw:
        with pytest.raises(openai.BadRequestError):
            gw.client().chat.completions.create(model="chat-a",
                                                messages=[{"role": "user", "content": "[[fake:status=400]]"}])
        assert len(upstream.requests) == 3


def test_access_groups_grant_their_models(make_gateway: GatewayFactory, upstream: FakeUpstream) -> None:
    beta = {"access_groups": ["beta-models"]}
    config = {"model_list": [deployment("chat-a", upstream, model_info=beta),
                             deployment("chat-c", upstream, model_info=beta), deployment("chat-b", upstream)]}
    teams: dict[str, dict[str, Any]] = {
        "alpha": {"key": {"models": ["beta-models"]}},                       # a key granted the group
        "beta": {"models": ["chat-b"]},                                      # a team without it
        "gamma": {"models": ["beta-models"], "key": {"models": ["chat-a"]}},  # the group, narrowed by the key
    }
    with make_gateway(config, teams) as gw:
        alpha, beta, gamma = gw.client("alpha"), gw.client("beta"), gw.client("gamma")
        assert sorted(m.id for m in alpha.models.list()) == ["chat-a", "chat-c"]
        alpha.chat.completions.create(model="chat-c", messages=USER)
        gamma.chat.completions.create(model="chat-a", messages=USER)
        beta.chat.completions.create(model="chat-b", messages=USER)
        for client, model in ((alpha, "chat-b"), (beta, "chat-a"), (gamma, "chat-c")):
            with pytest.raises(openai.PermissionDeniedError) as caught:
                client.chat.completions.create(model=model, messages=USER)
            assert model in caught.value.message and caught.value.body["param"] == "model"  # type: ignore[index]


@pytest.mark.parametrize("stream", [False, True])
def test_context_window_fallbacks_take_a_prompt_too_long(make_gateway: GatewayFactory, upstream: FakeUpstream,
                                                         second_upstream: FakeUpstream, stream: bool) -> None:
    upstream.set_behaviour(context_limit=5)
    config = {"model_list": [deployment("small", upstream), deployment("large", second_upstream),
                             deployment("other", upstream)],
              "router_settings": {**FAST, "context_window_fallbacks": [{"small": ["large"]}]}}
    long = [{"role": "user", "content": "one two three four five six seven eight"}]
    with make_gateway(config) as gw:
        client = gw.client()
        answer = client.chat.completions.create(model="small", messages=USER, stream=stream)
        text = "".join(c.choices[0].delta.content or "" for c in answer if c.choices) if stream \
            else answer.choices[0].message.content  # type: ignore[union-attr]
        assert text == "hello" and len(second_upstream.requests) == 0
        answer = client.chat.completions.create(model="small", messages=long, stream=stream)
        if stream:
            list(answer)
        assert len(second_upstream.requests) == 1
        row = gw.rows()[-1]
        assert (row.deployment, row.fallback_from, row.attempts, row.status) == ("large#1", "small", 2, "ok")
        # A model without context-window fallbacks answers the upstream's 400, as before.
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="other", messages=long, stream=stream)
        assert "maximum context length" in caught.value.message
