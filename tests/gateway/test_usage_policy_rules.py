"""The usage policy's rules without a server: the config's checks and the data class of a request, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.config import ConfigError, parse_config
from gateway.errors import BadRequest
from gateway.usage_policy.classify import classify, highest, payload_texts
from gateway.usage_policy.config import UsagePolicyConfig
from guardrails.base import Finding, Verdict

MODELS = [{"model_name": "chat", "litellm_params": {"model": "openai/x"}, "model_info": {"id": "chat-eu"}}]
CONFIG = UsagePolicyConfig(teams={"hr": "confidential"}, prompts={"payroll": "personal"},
                           markers=[{"name": "label", "pattern": "(?i)internal only", "data_class": "internal"}])  # type: ignore[list-item]
PII = Verdict(guardrail="pii", action="flag", score=0.9, findings=(Finding("EMAIL_ADDRESS", 0.9, 0),))
CLEAN = Verdict(guardrail="pii", action="allow", score=0.0)


@pytest.mark.parametrize(("policy", "error"), [
    ({"bogus": 1}, "unknown key 'usage_policy.bogus'"),
    ({"deployments": {"chat": "secret"}}, "unknown data class 'secret'"),
    ({"deployments": {"ghost": "public"}}, "unknown model or deployment 'ghost'"),
    ({"data_classes": ["a", "a"]}, "duplicates"),
    ({"markers": [{"name": "m", "pattern": "(", "data_class": "internal"}]}, "not a valid regular expression"),
    ({"on_disallowed": "allow"}, "usage_policy.on_disallowed"),
    ({"attribution": {"notices": {"de": "KI"}}}, "usage_policy.attribution.notices"),
])
def test_bad_policies_stop_start_up(policy: dict[str, Any], error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        parse_config({"model_list": MODELS, "usage_policy": policy})


@pytest.mark.parametrize("name", ["chat", "chat-eu", "chat#0"])
def test_deployments_are_named_by_model_id_or_position(name: str) -> None:
    parsed = parse_config({"model_list": MODELS, "usage_policy": {"deployments": {name: "personal"}}})
    assert parsed.usage_policy is not None


@pytest.mark.parametrize(("inputs", "sources", "data_class"), [
    ({}, {}, "public"),
    ({"declared": "internal"}, {"declared": "internal"}, "internal"),
    ({"team": "hr"}, {"team": "confidential"}, "confidential"),
    ({"prompt": "payroll"}, {"prompt": "personal"}, "personal"),
    ({"verdicts": [PII]}, {"pii": "personal"}, "personal"),
    ({"verdicts": [CLEAN]}, {}, "public"),
    ({"texts": ["memo, Internal Only"]}, {"marker:label": "internal"}, "internal"),
    ({"declared": "public", "team": "hr", "texts": ["internal only"]},
     {"declared": "public", "team": "confidential", "marker:label": "internal"}, "confidential"),
])
def test_the_class_is_the_highest_source(inputs: dict[str, Any], sources: dict[str, str], data_class: str) -> None:
    found = classify(CONFIG, declared=inputs.get("declared"), team=inputs.get("team"), prompt=inputs.get("prompt"),
                     verdicts=inputs.get("verdicts", []), texts=inputs.get("texts", []))
    assert found == sources and highest(CONFIG, found) == data_class


def test_an_unknown_declared_class_names_the_classes() -> None:
    with pytest.raises(BadRequest, match="unknown data class 'top-secret'"):
        classify(CONFIG, declared="top-secret", team=None, prompt=None, verdicts=[], texts=[])


def test_markers_see_messages_parts_embedding_input_and_documents() -> None:
    payload = {"messages": [{"role": "user", "content": [{"type": "text", "text": "a"}]},
                            {"role": "user", "content": "b"}], "input": ["c"]}
    assert list(payload_texts(payload, ("d",))) == ["a", "b", "c", "d"]


def test_the_ceiling_of_a_deployment_falls_back_to_its_model_then_the_default() -> None:
    config = UsagePolicyConfig(deployments={"chat-eu": "personal", "chat": "internal"}, unlisted_deployments="public")
    assert config.ceiling("chat-eu", "chat") == "personal"
    assert config.ceiling("chat#1", "chat") == "internal"
    assert config.ceiling("other#0", "other") == "public"
