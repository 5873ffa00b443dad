"""Anthropic deployments are called in Anthropic's own Messages API: the real `anthropic` SDK -> Warden -> a fake
Anthropic upstream on a socket, with prompt caching, extended thinking, guardrails, usage rows and fallbacks."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from gateway.providers.pricing import PriceMap
from tests.gateway.conftest import GatewayFactory, deployment
from tests.gateway.test_anthropic_messages import GREETING
from tests.support.fake_native import SIGNATURE, THOUGHT
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway
from tests.support.word_guardrail import BannedWord

UPSTREAM_KEY = "sk-ant-deployment-secret"
PRICES = PriceMap().lookup("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5")  # as the gateway looks it up
EMAIL = "jean.dupont@example.com"
SYSTEM = [{"type": "text", "text": "You are the support desk of a shop that sells bicycles and parts."},
          {"type": "text", "text": "Answer in one short sentence.", "cache_control": {"type": "ephemeral"}}]
HISTORY = [{"role": "user", "content": "hello there"},
           {"role": "assistant", "content": [{"type": "thinking", "thinking": "Greet back.", "signature": "sig-old"},
                                             {"type": "text", "text": "Hello!"}]}]
POLICIES = {"words": {"input": [{"guardrail": BannedWord.name, "mode": "block"}],
                      "output": [{"guardrail": BannedWord.name, "mode": "block"}]},
            "pii": {"input": [{"guardrail": "pii", "mode": "mask"}]},
            "outpii": {"output": [{"guardrail": "pii", "mode": "mask", "restore_output": False}]},
            "piiblock": {"output": [{"guardrail": "pii", "mode": "block"}]}}


def claude(up: FakeUpstream, name: str = "claude") -> dict[str, Any]:
    return {"model_name": name, "litellm_params": {"model": "anthropic/claude-sonnet-4-5", "api_base": up.base_url,
                                                    "api_key": UPSTREAM_KEY}}


@pytest.fixture()
def gw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    config = {"model_list": [claude(upstream)], "guardrail_policies": POLICIES, "prompts": None,
              "router_settings": {"num_retries": 0, "retry_backoff_s": 0.01, "timeout": 5}}
    teams = {"alpha": {}, "words": {"guardrail_policy": "words"}, "pii": {"guardrail_policy": "pii"},
             "outpii": {"guardrail_policy": "outpii"}, "piiblock": {"guardrail_policy": "piiblock"}}
    with make_gateway(config, teams) as running:
        yield running


def client(gw: RunningGateway, team: str = "alpha") -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.base_url, api_key=gw.keys[team], max_retries=0)


def sent(upstream: FakeUpstream) -> dict[str, Any]:
    return upstream.requests_to("/v1/messages")[-1].json


def expected_cost(row: Any) -> float:
    fresh = row.prompt_tokens - row.cached_tokens - row.cache_write_tokens
    return (fresh * PRICES.input_per_token + row.cached_tokens * PRICES.cache_read_per_token
            + row.cache_write_tokens * PRICES.cache_write_per_token + row.completion_tokens * PRICES.output_per_token)


def ask(gw: RunningGateway, **extra: Any) -> Any:
    return client(gw).messages.with_raw_response.create(
        model="claude", max_tokens=2048, system=SYSTEM, messages=[*HISTORY, {"role": "user", "content": "one two"}],
        thinking={"type": "enabled", "budget_tokens": 1024}, extra_body={"top_k": 5}, **extra)


def test_the_upstream_gets_anthropics_body_and_the_client_its_answer(gw: RunningGateway,
                                                                     upstream: FakeUpstream) -> None:
    raw = ask(gw, extra_headers={"anthropic-beta": "interleaved-thinking-2025-05-14"})
    request = upstream.requests_to("/v1/messages")[-1]
    assert upstream.requests_to("/chat/completions") == []
    assert request.headers["x-api-key"] == UPSTREAM_KEY and request.headers["anthropic-version"] == "2023-06-01"
    assert request.headers["anthropic-beta"] == "interleaved-thinking-2025-05-14"
    assert gw.keys["alpha"] not in json.dumps(request.headers)
    body = request.json
    assert body["model"] == "claude-sonnet-4-5" and body["system"] == SYSTEM and body["top_k"] == 5
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 1024} and body["max_tokens"] == 2048
    assert body["messages"][1]["content"][0] == HISTORY[1]["content"][0]  # the signed thinking, as sent
    message = raw.parse()
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking == THOUGHT and message.content[0].signature == SIGNATURE
    assert message.content[1].text == "one two"
    usage = message.usage
    assert usage.cache_creation_input_tokens > 0 and usage.cache_read_input_tokens == 0
    row = gw.row(raw.headers["x-request-id"])
    assert (row.status, row.provider, row.deployment) == ("ok", "anthropic", "claude#0")
    assert row.cache_write_tokens == usage.cache_creation_input_tokens and row.cached_tokens == 0
    assert row.prompt_tokens == usage.input_tokens + usage.cache_creation_input_tokens
    assert row.cost_usd == pytest.approx(expected_cost(row)) and row.cost_usd > 0


def test_a_second_call_reads_the_prompt_cache_and_is_billed_so(gw: RunningGateway) -> None:
    first = ask(gw).parse().usage
    raw = ask(gw)
    usage = raw.parse().usage
    assert usage.cache_read_input_tokens == first.cache_creation_input_tokens > 0
    assert usage.cache_creation_input_tokens == 0
    row = gw.row(raw.headers["x-request-id"])
    assert (row.cached_tokens, row.cache_write_tokens) == (usage.cache_read_input_tokens, 0)
    assert row.cost_usd == pytest.approx(expected_cost(row))
    assert row.cost_usd < gw.rows()[0].cost_usd  # a cache read costs a tenth of an input token


def test_a_stream_is_relayed_event_by_event(gw: RunningGateway, upstream: FakeUpstream) -> None:
    with client(gw).messages.stream(model="claude", max_tokens=2048, system=SYSTEM,
                                    messages=[{"role": "user", "content": "alpha beta gamma"}],
                                    thinking={"type": "enabled", "budget_tokens": 1024}) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_message()
    assert sent(upstream)["stream"] is True and sent(upstream)["system"] == SYSTEM
    assert "thinking" in kinds and "signature" in kinds and kinds[-1] == "message_stop"
    assert final.content[0].type == "thinking" and final.content[0].signature == SIGNATURE
    assert final.content[1].text == "alpha beta gamma"
    assert final.usage.cache_creation_input_tokens > 0 and final.usage.output_tokens > 0
    [row] = gw.rows(stream=True)
    assert row.status == "ok" and row.cache_write_tokens == final.usage.cache_creation_input_tokens
    assert row.completion_tokens == final.usage.output_tokens and row.cost_usd == pytest.approx(expected_cost(row))


def test_a_stream_cut_upstream_ends_with_an_error_event_and_a_row(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(cut_stream_after=4)
    with pytest.raises(anthropic.APIStatusError) as caught, client(gw).messages.stream(
            model="claude", max_tokens=50, messages=[{"role": "user", "content": "a b c d e f g h"}]) as stream:
        for _ in stream:
            pass
    assert "upstream stream failed" in str(caught.value)
    [row] = gw.rows()
    assert (row.status, row.stream) == ("error", True) and row.prompt_tokens > 0  # the cut answer is still counted


def test_input_guardrails_block_before_the_upstream(gw: RunningGateway, upstream: FakeUpstream) -> None:
    with pytest.raises(anthropic.BadRequestError) as caught:
        client(gw, "words").messages.create(model="claude", max_tokens=50, system=SYSTEM,
                                            messages=[{"role": "user", "content": "say FORBIDDEN"}])
    assert caught.value.body["error"]["type"] == "invalid_request_error"
    assert upstream.requests_to("/v1/messages") == []
    assert [r.status for r in gw.rows()] == ["blocked"]


@pytest.mark.parametrize("stream", [False, True])
def test_output_guardrails_read_the_text_blocks(gw: RunningGateway, upstream: FakeUpstream, stream: bool) -> None:
    api = client(gw, "words")
    upstream.set_behaviour(reply="All good. Now FORBIDDEN things.")
    asked = {"model": "claude", "max_tokens": 2048, "thinking": {"type": "enabled", "budget_tokens": 1024},
             "messages": [{"role": "user", "content": "How is it going?"}]}
    if stream:
        seen: list[str] = []
        with pytest.raises(anthropic.APIStatusError) as caught, api.messages.stream(**asked) as events:
            for event in events:
                if event.type == "text":
                    seen.append(event.text)
        assert "".join(seen) == "All good." and "blocked by" in str(caught.value)  # the checked sentence only
    else:
        with pytest.raises(anthropic.BadRequestError):
            api.messages.create(**asked)
    [row] = gw.rows()
    assert row.status == "blocked" and row.stream is stream and len(upstream.requests_to("/v1/messages")) == 1
    assert {v["guardrail"]: v["action"] for v in row.guardrails}[BannedWord.name] == "block"


def test_masked_input_lands_in_the_same_blocks(gw: RunningGateway, upstream: FakeUpstream) -> None:
    content = [{"type": "text", "text": f"Write to {EMAIL} please.", "cache_control": {"type": "ephemeral"}},
               {"type": "text", "text": "Thanks."}]
    answer = client(gw, "pii").messages.create(model="claude", max_tokens=50, system=SYSTEM,
                                               messages=[{"role": "user", "content": content}])
    blocks = sent(upstream)["messages"][0]["content"]
    assert EMAIL not in json.dumps(sent(upstream)) and "<EMAIL_ADDRESS_1>" in blocks[0]["text"]
    assert blocks[0]["cache_control"] == {"type": "ephemeral"} and blocks[1] == content[1]
    assert sent(upstream)["system"] == SYSTEM  # unchanged text: the block as the client sent it
    assert EMAIL in answer.content[0].text  # the echo's placeholder restored for the caller


def test_a_failing_anthropic_deployment_falls_back_to_a_translated_model(
        make_gateway: GatewayFactory, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    config = {"model_list": [claude(upstream), deployment("chat-b", second_upstream)], "prompts": None,
              "router_settings": {"num_retries": 0, "retry_backoff_s": 0.01, "timeout": 5,
                                  "fallbacks": [{"claude": ["chat-b"]}]}}
    upstream.set_behaviour(status=500)
    with make_gateway(config) as gw:
        raw = client(gw).messages.with_raw_response.create(
            model="claude", max_tokens=50, system=SYSTEM, thinking={"type": "enabled", "budget_tokens": 1024},
            messages=[{"role": "user", "content": "fall back please"}])
        message = raw.parse()
        assert [b.type for b in message.content] == ["text"] and message.content[0].text == "fall back please"
        assert len(upstream.requests_to("/v1/messages")) == 1
        chat = second_upstream.requests_to("/chat/completions")[-1].json
        assert chat["messages"][0]["content"].endswith("Answer in one short sentence.") and "thinking" not in chat
        row = gw.row(raw.headers["x-request-id"])
        assert (row.status, row.served_model, row.fallback_from, row.attempts) == ("ok", "chat-b", "claude", 2)


def test_a_stored_prompt_is_rendered_into_the_native_body(make_gateway: GatewayFactory, upstream: FakeUpstream,
                                                          tmp_path: Path) -> None:
    repo = tmp_path / "prompts-repo"
    (repo / "prompts").mkdir(parents=True)
    (repo / "prompts" / "greet.md").write_text(GREETING.replace("model: chat-a", "model: claude"))
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=qa@example.com", "-c", "user.name=QA", "commit", "-qm", "greet"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    config = {"model_list": [claude(upstream)], "prompts": {"path": str(repo / "prompts")}}
    with make_gateway(config) as gw:
        content = [{"type": "text", "text": "and you?", "cache_control": {"type": "ephemeral"}}]
        raw = client(gw).messages.with_raw_response.create(
            model="prompt:greet@latest", max_tokens=10, messages=[{"role": "user", "content": content}],
            extra_body={"prompt": {"variables": {"who": "Ada"}}})
        assert raw.parse().content[0].text == "and you?"
        body = sent(upstream)
        assert body["system"] == [{"type": "text", "text": "You greet people."}]
        assert body["messages"] == [{"role": "user", "content": "Hello Ada"}, {"role": "user", "content": content}]
        assert (body["max_tokens"], body["temperature"], body["model"]) == (50, 0.3, "claude-sonnet-4-5")
        assert "prompt" not in body
        assert gw.row(raw.headers["x-request-id"]).prompt_name == "greet"


def test_masking_reaches_tool_calls_and_results_in_the_history(gw: RunningGateway, upstream: FakeUpstream) -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Find my account."}]},
        {"role": "assistant", "content": [
            {"type": "text", "text": "Looking it up."},
            {"type": "tool_use", "id": "toolu_1", "name": "lookup", "input": {"email": EMAIL, "limit": 3}}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": [{"type": "text", "text": f"owner {EMAIL}"}],
             "cache_control": {"type": "ephemeral"}},
            {"type": "text", "text": "What did you find?"}]}]
    client(gw, "pii").messages.create(model="claude", max_tokens=50, messages=history, tools=[
        {"name": "lookup", "input_schema": {"type": "object"}, "cache_control": {"type": "ephemeral"}}])
    body = sent(upstream)
    assert EMAIL not in json.dumps(body)
    call, result = body["messages"][1]["content"][1], body["messages"][2]["content"][0]
    assert call["input"] == {"email": "<EMAIL_ADDRESS_1>", "limit": 3} and call["id"] == "toolu_1"
    assert result["content"] == [{"type": "text", "text": "owner <EMAIL_ADDRESS_1>"}]
    assert result["cache_control"] == {"type": "ephemeral"} and body["tools"][0]["cache_control"]
    assert body["messages"][0] == history[0] and body["messages"][2]["content"][1] == history[2]["content"][1]


MAIL_TOOL = {"name": "send_mail", "input_schema": {"type": "object", "properties": {"body": {"type": "string"}}}}


def test_output_guardrails_read_tool_use_inputs(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(reply=f"Write to {EMAIL} today")
    with pytest.raises(anthropic.BadRequestError):
        client(gw, "piiblock").messages.create(model="claude", max_tokens=100, tools=[MAIL_TOOL],
                                                  tool_choice={"type": "any"},
                                               messages=[{"role": "user", "content": "Write the mail."}])
    [row] = gw.rows()
    assert row.status == "blocked" and len(upstream.requests_to("/v1/messages")) == 1


def test_output_masking_reaches_tool_use_inputs(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(reply=f"Write to {EMAIL} today")
    answer = client(gw, "outpii").messages.create(
        model="claude", max_tokens=100, tools=[MAIL_TOOL], tool_choice={"type": "tool", "name": "send_mail"},
        messages=[{"role": "user", "content": "Write the mail."}])
    [call] = [block for block in answer.content if block.type == "tool_use"]
    assert call.name == "send_mail" and answer.stop_reason == "tool_use"
    assert EMAIL not in call.input["body"] and call.input["body"].startswith("Write to ")
