"""A config.yaml written the way LiteLLM's documentation writes one loads; what Warden ignores is named in a warning,
and what it implements (aliases, default fallbacks, default params, per-deployment rpm, wildcards) takes effect."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest
import yaml

from gateway.config import ConfigError, parse_config
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream

DOCS_CONFIG = """
model_list:
  - model_name: gpt-4o
    litellm_params:
      model: openai/gpt-4o
      api_base: {base}
      api_key: os.environ/WARDEN_PARITY_KEY
      temperature: 0.2
      max_tokens: 256
      drop_params: true
      order: 1
      tags: ["fast"]
      rpm: 2
    model_info:
      supports_vision: true
      access_groups: ["beta-models"]
      input_cost_per_token: 0.0000025
      output_cost_per_token: 0.00001
  - model_name: "openai/*"
    litellm_params:
      model: "openai/*"
      api_base: {base}
      api_key: os.environ/WARDEN_PARITY_KEY
router_settings:
  routing_strategy: simple-shuffle
  model_group_alias: {{"gpt-4": "gpt-4o", "legacy": {{"model": "gpt-4o", "hidden": true}}}}
  retry_policy: {{"TimeoutErrorRetries": 3}}
  context_window_fallbacks: [{{"gpt-4o": ["gpt-4o"]}}]
  default_fallbacks: ["gpt-4o"]
  num_retries: 0
litellm_settings:
  drop_params: true
  set_verbose: false
  success_callback: ["langfuse"]
  cache: true
  cache_params: {{"type": "local", "ttl": 600, "namespace": "litellm.caching"}}
general_settings:
  master_key: sk-1234
  database_url: os.environ/DATABASE_URL
  alerting: ["slack"]
environment_variables:
  LANGFUSE_PUBLIC_KEY: pk-lf
"""
IGNORED = [
    "model_list[0].litellm_params.drop_params", "model_list[0].model_info.supports_vision",
    "litellm_settings.success_callback",
    "litellm_settings.cache_params.namespace", "litellm_settings.drop_params", "litellm_settings.set_verbose",
    "general_settings.database_url", "general_settings.alerting", "environment_variables",
]


def _config(base: str) -> dict[str, Any]:
    return yaml.safe_load(DOCS_CONFIG.format(base=base))


def test_docs_config_loads_and_names_every_ignored_key(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="warden.config"):
        config = parse_config(_config("http://127.0.0.1:9/v1"), "config.yaml")
    warned = [r.getMessage() for r in caplog.records]
    for key in IGNORED:
        assert any(f"config.yaml: {key} is a LiteLLM setting" in m for m in warned), key
    params = config.model_list[0].litellm_params
    assert params.default_params() == {"temperature": 0.2, "max_tokens": 256}
    assert params.input_cost_per_token == 0.0000025 and params.rpm == 2
    assert config.cache.enabled and config.cache.backend == "memory" and config.cache.ttl_s == 600
    # Implemented (tests/gateway/test_litellm_router_parity.py), so read rather than warned about.
    assert params.order == 1 and config.model_list[0].model_info.access_groups == ["beta-models"]
    router = config.effective_router()
    assert router.retry_policy is not None and router.retry_policy.TimeoutErrorRetries == 3
    assert router.context_window_fallbacks == [{"gpt-4o": ["gpt-4o"]}]
    assert not any(key in m for m in warned for key in ("order", "access_groups", "retry_policy", "context_window"))


def test_warden_sections_stay_strict() -> None:
    with pytest.raises(ConfigError, match="unknown key 'server.colour'"):
        parse_config({"server": {"colour": "blue"}}, "config.yaml")
    with pytest.raises(ConfigError, match="unknown key 'model_list.0.litellm_params.apibase'"):
        parse_config({"model_list": [{"model_name": "a", "litellm_params": {"model": "x", "apibase": "h"}}]})
    with pytest.raises(ConfigError, match="model_group_alias.gpt-4 names unknown model 'nope'"):
        parse_config({"router_settings": {"model_group_alias": {"gpt-4": "nope"}}})


def test_redis_settings_choose_the_limits_store() -> None:
    config = parse_config({"router_settings": {"redis_host": "10.0.0.5", "redis_port": 6380, "redis_password": "p@ss"}})
    assert config.limits.backend == "redis" and config.limits.redis_url == "redis://:p%40ss@10.0.0.5:6380/0"


def test_implemented_keys_take_effect(make_gateway: Any, upstream: FakeUpstream,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_PARITY_KEY", "sk-parity")
    with make_gateway(_config(upstream.base_url)) as gw:
        client = gw.client()
        listed = {m.id for m in client.models.list()}
        assert "gpt-4" in listed and "legacy" not in listed and "openai/*" not in listed
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": "hi"}])
        sent = upstream.requests[-1].json
        assert sent["model"] == "gpt-4o" and sent["temperature"] == 0.2 and sent["max_tokens"] == 256
        client.chat.completions.create(model="legacy", messages=[{"role": "user", "content": "hi"}],
                                       temperature=0.9)
        assert upstream.requests[-1].json["temperature"] == 0.9  # the request's own value wins
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        assert upstream.requests[-1].json["model"] == "gpt-4o-mini"
        assert upstream.requests[-1].headers["authorization"] == "Bearer sk-parity"
        row = gw.rows()[-1]
        assert row.requested_model == "openai/gpt-4o-mini" and row.cost_known and row.cost_usd > 0  # the map's price
        for _ in range(4):  # a model the upstream does not have is the client's error, not the deployment's
            with pytest.raises(openai.BadRequestError):
                client.chat.completions.create(model="openai/no-such-model",
                                               messages=[{"role": "user", "content": "[[fake:status=404]]"}])
        client.chat.completions.create(model="openai/gpt-4o-mini", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="openai/*", messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.RateLimitError):  # rpm: 2, taken by `gpt-4` and `legacy`, its aliases
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])


def test_default_fallbacks_serve_every_model(make_gateway: Any, upstream: FakeUpstream,
                                             second_upstream: FakeUpstream) -> None:
    upstream.set_behaviour(status=500)
    config = {"model_list": [deployment("primary", upstream), deployment("backup", second_upstream)],
              "litellm_settings": {"default_fallbacks": ["backup"], "num_retries": 0}}
    with make_gateway(config) as gw:
        gw.client().chat.completions.create(model="primary", messages=[{"role": "user", "content": "hi"}])
        assert len(upstream.requests) == 1 and len(second_upstream.requests) == 1


def test_models_under_a_wildcard_share_its_rpm_and_one_metric_series(make_gateway: Any, upstream: FakeUpstream) -> None:
    wildcard = {"model_name": "openai/*", "litellm_params": {"model": "openai/*", "api_base": upstream.base_url,
                                                               "api_key": "sk-upstream-secret", "rpm": 2}}
    with make_gateway({"model_list": [wildcard]}) as gw:
        client = gw.client()
        for model in ("openai/gpt-4o", "openai/gpt-4o-mini"):
            client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])
        with pytest.raises(openai.RateLimitError):  # a third model name does not open a new count
            client.chat.completions.create(model="openai/o3", messages=[{"role": "user", "content": "hi"}])
        metrics = gw.http().get("/metrics").text
        assert 'model="openai/*"' in metrics and 'model="openai/gpt-4o"' not in metrics
