"""The config file is validated strictly: unknown keys and wrong types stop start-up, naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import ConfigError, load_config, parse_config
from gateway.providers.deployments import build_deployments
from gateway.providers.pricing import PriceMap

ROOT = Path(__file__).resolve().parents[2]
ONE_MODEL = {"model_list": [{"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o"}}]}


def test_only_a_model_list_is_valid() -> None:
    config = parse_config(ONE_MODEL)
    assert config.model_names() == ["gpt"] and config.limits.backend == "memory"


def test_the_shipped_config_loads() -> None:
    config = load_config(ROOT / "config" / "gateway.yaml")
    assert {"demo-chat", "demo-embed"} <= set(config.model_names())


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"model_lists": []}, "unknown key 'model_lists'"),
        ({"model_list": [{"model_name": "a", "litellm_params": {"model": "x", "apibase": "h"}}]},
         "unknown key 'model_list.0.litellm_params.apibase'"),
        ({"model_list": [{"model_name": "a", "litellm_params": {"model": "x", "rpm": "lots"}}]},
         "model_list.0.litellm_params.rpm"),
        ({"router_settings": {"num_retries": -1}}, "router_settings.num_retries"),
        ({"limits": {"backend": "etcd"}}, "limits.backend"),
        ({"teams": {"a": {"budget_usd": "free"}}}, "teams.a.budget_usd"),
        ({**ONE_MODEL, "router_settings": {"fallbacks": [{"gpt": ["missing"]}]}}, "unknown model 'missing'"),
        ({"default_policy": "strict"}, "unknown policy 'strict'"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_configs_name_the_key(config: object, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        parse_config(config)


def test_bad_yaml_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("model_list: [\n")
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_litellm_style_deployments(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WARDEN_TEST_KEY", "sk-from-env")
    config = parse_config({"model_list": [
        {"model_name": "gpt", "litellm_params": {"model": "openai/gpt-4o", "api_key": "os.environ/WARDEN_TEST_KEY"}},
        {"model_name": "claude", "litellm_params": {"model": "anthropic/claude-sonnet-4-5"}},
        {"model_name": "local", "litellm_params": {"model": "hosted_vllm/llama", "api_base": "http://vllm:8000/v1",
                                                   "input_cost_per_token": 1e-7, "output_cost_per_token": 2e-7}},
        {"model_name": "demo", "litellm_params": {"model": "warden-demo/chat"}},
    ]})
    gpt, claude, local, demo = build_deployments(config, PriceMap())
    assert (gpt.transport, gpt.api_key, gpt.api_base) == ("native", "sk-from-env", "https://api.openai.com/v1")
    assert gpt.prices.known and gpt.prices.input_per_token > 0
    assert claude.transport == "litellm" and claude.prices.known
    assert (local.transport, local.prices.input_per_token, local.prices.output_per_token) == ("native", 1e-7, 2e-7)
    assert demo.transport == "demo" and demo.is_demo
    assert "sk-from-env" not in repr(gpt)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ({"input": [{"guardrail": "pii", "mode": "mask", "tresh": 1}]}, "option 'tresh'"),
        ({"input": [{"guardrail": "grounding", "mode": "flag"}]}, "does not run on the input stage"),
        ({"input": [{"guardrail": "no_such_thing"}]}, "unknown guardrail 'no_such_thing'"),
        ({"input": [{"guardrail": "injection", "mode": "shout"}]}, "option 'mode'"),
    ],
)
def test_policies_are_checked_at_start_up(policy: dict, message: str) -> None:
    from gateway.guardrail_engine import GuardrailEngine

    with pytest.raises(ConfigError, match=message):
        GuardrailEngine(parse_config({"guardrail_policies": {"p": policy}}))


def test_policy_on_error_is_the_default_of_its_guardrails() -> None:
    from gateway.guardrail_engine import GuardrailEngine

    engine = GuardrailEngine(parse_config({"guardrail_policies": {"p": {"on_error": "block", "input": [
        {"guardrail": "injection", "mode": "block"}, {"guardrail": "topics", "mode": "flag", "on_error": "allow"}]}}}))
    assert [g.on_error for g in engine.policies["p"].input.guardrails] == ["block", "allow"]
