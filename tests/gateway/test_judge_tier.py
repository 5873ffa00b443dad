"""The judge tier end to end: a scripted judge model on its own fake upstream, the openai SDK over HTTP."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.gateway.conftest import PRICE_IN, PRICE_OUT, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

RUBRICS = Path(__file__).resolve().parents[2] / "prompts" / "judges"
CONTEXT = ["[1] The Eiffel Tower is 330 metres tall and was completed in 1889 in Paris."]
QUESTION = [{"role": "user", "content": "How tall is the Eiffel Tower?"}]
GOOD = "The Eiffel Tower is 330 metres tall [1]."
POLICIES = {
    # Every score is "uncertain": the whole band goes to the judge.
    "judged": {"output": [{"guardrail": "grounding", "engine": "lexical", "judge": {"low": 0.0, "high": 1.0}}]},
    # Only near-certain ungrounded scores would: a well-grounded answer never reaches the judge.
    "narrow": {"output": [{"guardrail": "grounding", "engine": "lexical", "judge": {"low": 0.99, "high": 1.0}}]},
    "plain": {"output": [{"guardrail": "grounding", "engine": "lexical"}]},
}


@pytest.fixture()
def judged_gw(make_gateway: Any, upstream: FakeUpstream, second_upstream: FakeUpstream):  # type: ignore[no-untyped-def]
    config = {
        "model_list": [deployment("chat-a", upstream), deployment("judge-m", second_upstream)],
        "guardrail_policies": POLICIES,
        "prompts": None,
        "judge": {"model": "judge-m", "prompts_dir": str(RUBRICS), "timeout_s": 0.5},
    }
    with make_gateway(config, {name: {"guardrail_policy": name} for name in POLICIES}) as gw:
        yield gw


def _ask(gw: RunningGateway, team: str, answer: str, up: FakeUpstream, stream: bool = False) -> Any:
    up.enqueue(reply=answer)
    client = gw.client(team)
    if stream:
        with client.chat.completions.with_streaming_response.create(
                model="chat-a", messages=QUESTION, extra_body={"documents": CONTEXT}, stream=True) as raw:
            list(raw.iter_lines())
            return raw
    return client.chat.completions.with_raw_response.create(model="chat-a", messages=QUESTION,
                                                            extra_body={"documents": CONTEXT})


def test_uncertain_verdict_goes_to_the_judge_and_its_cost_is_on_the_usage_row(
        judged_gw: RunningGateway, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    second_upstream.set_behaviour(reply='{"violation": true}')
    raw = _ask(judged_gw, "judged", GOOD, upstream)
    assert "grounding=flag" in raw.headers["x-warden-guardrails"] or "grounding=annotate" in raw.headers[
        "x-warden-guardrails"]
    judge_calls = second_upstream.requests_to("/chat/completions")
    assert len(judge_calls) == 1
    sent = judge_calls[0].json
    assert sent["model"] == "judge-m-upstream" and "330 metres" in sent["messages"][-1]["content"]
    assert "Eiffel Tower is 330 metres tall and was completed in 1889" in sent["messages"][-1]["content"]
    answer = raw.parse()
    row = judged_gw.row(raw.headers["x-request-id"])
    assert row.prompt_tokens > answer.usage.prompt_tokens and row.completion_tokens > answer.usage.completion_tokens
    assert row.cost_usd == pytest.approx(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT)
    verdict = row.guardrails[0]
    assert verdict["findings"]["judge"] == 1


def test_the_judge_can_clear_a_local_flag(judged_gw: RunningGateway, upstream: FakeUpstream,
                                          second_upstream: FakeUpstream) -> None:
    bad = "The Eiffel Tower is 512 metres tall and was built in Rome in 1920."
    plain = _ask(judged_gw, "plain", bad, upstream)
    assert "grounding=annotate" in plain.headers["x-warden-guardrails"]
    second_upstream.set_behaviour(reply='{"violation": false}')
    cleared = _ask(judged_gw, "judged", bad, upstream)
    assert "grounding=allow" in cleared.headers["x-warden-guardrails"]


def test_confident_verdicts_never_reach_the_judge(judged_gw: RunningGateway, upstream: FakeUpstream,
                                                  second_upstream: FakeUpstream) -> None:
    raw = _ask(judged_gw, "narrow", GOOD, upstream)
    row = judged_gw.row(raw.headers["x-request-id"])
    assert row.guardrails[0]["score"] < 0.99
    assert second_upstream.requests_to("/chat/completions") == []
    assert row.prompt_tokens == raw.parse().usage.prompt_tokens


def test_judge_timeout_keeps_the_local_verdict(judged_gw: RunningGateway, upstream: FakeUpstream,
                                               second_upstream: FakeUpstream) -> None:
    local = judged_gw.row(_ask(judged_gw, "plain", GOOD, upstream).headers["x-request-id"]).guardrails[0]
    second_upstream.set_behaviour(reply='{"violation": true}', slow=3000)
    raw = _ask(judged_gw, "judged", GOOD, upstream)
    row = judged_gw.row(raw.headers["x-request-id"])
    assert row.guardrails[0]["action"] == local["action"]
    assert row.guardrails[0]["findings"]["judge_error"] == 1
    assert row.prompt_tokens == raw.parse().usage.prompt_tokens  # nothing billed for a ruling never received


def test_an_unparseable_ruling_keeps_the_local_verdict(judged_gw: RunningGateway, upstream: FakeUpstream,
                                                       second_upstream: FakeUpstream) -> None:
    second_upstream.set_behaviour(reply="I think it is probably fine")
    raw = _ask(judged_gw, "judged", GOOD, upstream)
    verdict = judged_gw.row(raw.headers["x-request-id"]).guardrails[0]
    assert verdict["action"] == "allow" and verdict["findings"]["judge_error"] == 1


def test_the_same_inputs_are_judged_once(judged_gw: RunningGateway, upstream: FakeUpstream,
                                         second_upstream: FakeUpstream) -> None:
    second_upstream.set_behaviour(reply='{"violation": true}')
    first = _ask(judged_gw, "judged", GOOD, upstream)
    second = _ask(judged_gw, "judged", GOOD, upstream, stream=True)
    assert len(second_upstream.requests_to("/chat/completions")) == 1
    row = judged_gw.row(second.headers["x-request-id"])
    assert row.guardrails[0]["findings"]["judge"] == 1  # the cached ruling applied, to a stream too
    first_row = judged_gw.row(first.headers["x-request-id"])
    assert first_row.cost_usd > row.cost_usd  # the cache hit cost nothing extra


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({}, "has a judge band but there is no top-level 'judge' section"),
        ({"judge": {"model": "nope"}}, "judge.model names unknown model 'nope'"),
        ({"judge": {"model": "m", "timeout_s": 0}}, "judge.timeout_s"),
    ],
)
def test_judge_configuration_errors_name_the_key(extra: dict[str, Any], message: str) -> None:
    from gateway.config import ConfigError, parse_config

    data = {"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/m"}}],
            "guardrail_policies": {"p": {"output": [{"guardrail": "grounding", "judge": {"low": 0.2, "high": 0.8}}]}},
            **extra}
    with pytest.raises(ConfigError, match=message):
        parse_config(data)


def test_an_inverted_band_is_refused() -> None:
    from gateway.config import ConfigError, parse_config

    data = {"model_list": [{"model_name": "m", "litellm_params": {"model": "openai/m"}}], "judge": {"model": "m"},
            "guardrail_policies": {"p": {"output": [{"guardrail": "grounding", "judge": {"low": 0.8, "high": 0.2}}]}}}
    with pytest.raises(ConfigError, match="low 0.8 is above high 0.2"):
        parse_config(data)
