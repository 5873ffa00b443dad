"""An attack target: a real gateway with deployments served through litellm and through Warden's own client,
each with a healthy and a failing upstream (so fallbacks would fire), a JSON-schema policy, and a canary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.security.canary import Canary, running_canary
from tests.support.fake_upstream import FakeUpstream, running_upstream
from tests.support.gateway_server import RunningGateway, running_gateway

PROVIDER_KEY = "sk-canary-provider-7f3c9a1e5b2d4680"
LITELLM_MODELS = ("lit-chat", "lit-broken")
NATIVE_MODELS = ("native-chat", "native-broken")
POLICIES = {"schema": {"output": [{"guardrail": "json_schema", "mode": "block"}]},
            "slow_schema": {"output": [{"guardrail": "json_schema", "mode": "block", "timeout_s": 10}]}}


def _deployment(name: str, up: FakeUpstream, transport: str, mode: str = "chat") -> dict[str, Any]:
    return {"model_name": name,
            "litellm_params": {"model": f"openai/{name}-upstream", "api_base": up.base_url, "api_key": PROVIDER_KEY,
                               "input_cost_per_token": 0.000001, "output_cost_per_token": 0.000002},
            "model_info": {"transport": transport, "mode": mode}}


def attack_config(good: FakeUpstream, broken: FakeUpstream) -> dict[str, Any]:
    return {
        "model_list": [
            _deployment("lit-chat", good, "litellm"), _deployment("lit-broken", broken, "litellm"),
            _deployment("native-chat", good, "native"), _deployment("native-broken", broken, "native"),
            _deployment("lit-embed", good, "litellm", "embedding"),
            _deployment("native-embed", good, "native", "embedding"),
        ],
        # Never cooled: the failing primaries must keep failing (and so keep tempting fallbacks) for every probe.
        "router_settings": {"num_retries": 0, "retry_backoff_s": 0.01, "timeout": 5, "cooldown_time": 0},
        "guardrail_policies": POLICIES,
        "prompts": None,
    }


@pytest.fixture(scope="module")
def canary() -> Iterator[Canary]:
    with running_canary() as listener:
        yield listener


@pytest.fixture(scope="module")
def good_upstream() -> Iterator[FakeUpstream]:
    with running_upstream() as up:
        yield up


@pytest.fixture(scope="module")
def broken_upstream() -> Iterator[FakeUpstream]:
    with running_upstream() as up:
        up.set_behaviour(status=500)
        yield up


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory, good_upstream: FakeUpstream,
           broken_upstream: FakeUpstream) -> Iterator[RunningGateway]:
    """Team `alpha` (no policy), teams `schema` and `slow` (the json_schema output guardrail, the second with a
    10 s validation budget)."""
    tmp: Path = tmp_path_factory.mktemp("attack")
    teams = {"alpha": {}, "schema": {"guardrail_policy": "schema"}, "slow": {"guardrail_policy": "slow_schema"}}
    with running_gateway(attack_config(good_upstream, broken_upstream), f"sqlite:///{tmp / 'gw.db'}", teams,
                         tmp) as running:
        yield running
