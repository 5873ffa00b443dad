"""A running gateway in front of fake upstreams, for the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest

from tests.support.fake_upstream import FakeUpstream, running_upstream
from tests.support.gateway_server import RunningGateway, running_gateway

PRICE_IN, PRICE_OUT = 0.000001, 0.000002


def deployment(name: str, up: FakeUpstream, **params: Any) -> dict[str, Any]:
    info = params.pop("model_info", {})
    return {"model_name": name, "litellm_params": {"model": f"openai/{name}-upstream", "api_base": up.base_url,
            "api_key": "sk-upstream-secret", "input_cost_per_token": PRICE_IN,
            "output_cost_per_token": PRICE_OUT, **params}, "model_info": info}


@pytest.fixture()
def second_upstream() -> Iterator[FakeUpstream]:
    with running_upstream() as up:
        yield up


GatewayFactory = Callable[..., AbstractContextManager[RunningGateway]]


@pytest.fixture()
def make_gateway(tmp_path: Path) -> GatewayFactory:
    def factory(config: dict[str, Any], teams: dict[str, dict[str, Any]] | None = None,
                database_url: str | None = None) -> AbstractContextManager[RunningGateway]:
        url = database_url or f"sqlite:///{tmp_path / 'gw.db'}"
        return running_gateway(config, url, teams, tmp_path)

    return factory


@pytest.fixture()
def gw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    """A gateway with two upstream models; team alpha may use both, team beta only `chat-b`."""
    config = {
        "model_list": [deployment("chat-a", upstream), deployment("chat-b", upstream),
                       deployment("embed-a", upstream, model_info={"mode": "embedding"})],
        "router_settings": {"num_retries": 2, "retry_backoff_s": 0.01, "timeout": 5},
    }
    teams = {"alpha": {}, "beta": {"models": ["chat-b"]}}
    with make_gateway(config, teams) as running:
        yield running
