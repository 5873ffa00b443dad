"""Anthropic's Messages API end to end: the real `anthropic` SDK -> Warden -> a fake OpenAI upstream on a socket."""

from __future__ import annotations

import base64
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway
from tests.support.word_guardrail import BannedWord

WEATHER = {"name": "get_weather", "description": "Weather in a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


@pytest.fixture()
def guarded(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    policy = {"input": [{"guardrail": BannedWord.name, "mode": "block"}],
              "output": [{"guardrail": BannedWord.name, "mode": "block"}]}
    config = {"model_list": [deployment("chat-a", upstream)], "guardrail_policies": {"words": policy},
              "default_policy": "words", "prompts": None}
    with make_gateway(config) as gw:
        yield gw


def client(gw: RunningGateway, team: str = "alpha", key: str | None = None) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=gw.base_url, api_key=key or gw.keys[team], max_retries=0)


def last_upstream_body(upstream: FakeUpstream) -> dict[str, Any]:
    return upstream.requests_to("/chat/completions")[-1].json


def test_plain_message_is_answered_and_recorded(gw: RunningGateway, upstream: FakeUpstream) -> None:
    raw = client(gw).messages.with_raw_response.create(
        model="chat-a", max_tokens=50, messages=[{"role": "user", "content": "hello from claude"}],
        stop_sequences=["END"], metadata={"user_id": "user-7"}, extra_body={"temperature": 0.5, "top_k": 3})
    answer = raw.parse()
    assert answer.type == "message" and answer.role == "assistant" and answer.model == "chat-a"
    assert [b.type for b in answer.content] == ["text"] and answer.content[0].text == "hello from claude"
    assert answer.stop_reason == "end_turn" and answer.usage.input_tokens == 3 and answer.usage.output_tokens == 3
    sent = last_upstream_body(upstream)
    assert sent["max_tokens"] == 50 and sent["temperature"] == 0.5 and sent["stop"] == ["END"]
    assert sent["user"] == "user-7" and "metadata" not in sent and "top_k" not in sent
    row = gw.row(raw.headers["x-request-id"])
    assert (row.status, row.endpoint, row.team, row.requested_model) == ("ok", "chat", "alpha", "chat-a")
    assert (row.prompt_tokens, row.completion_tokens, row.end_user) == (3, 3, "user-7") and row.cost_usd > 0


def test_system_prompt_as_text_and_blocks(gw: RunningGateway, upstream: FakeUpstream) -> None:
    api = client(gw)
    api.messages.create(model="chat-a", max_tokens=20, system="Answer briefly.",
                        messages=[{"role": "user", "content": "hi"}])
    assert last_upstream_body(upstream)["messages"][0] == {"role": "system", "content": "Answer briefly."}
    api.messages.create(model="chat-a", max_tokens=20, messages=[{"role": "user", "content": "hi"}],
                        system=[{"type": "text", "text": "One.", "cache_control": {"type": "ephemeral"}},
                                {"type": "text", "text": "Two."}])
    assert last_upstream_body(upstream)["messages"][0] == {"role": "system", "content": "One.\n\nTwo."}


def test_image_blocks_are_sent_inline(gw: RunningGateway, upstream: FakeUpstream) -> None:
    png = base64.b64encode(b"\x89PNG fake").decode()
    client(gw).messages.create(model="chat-a", max_tokens=20, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}},
        {"type": "text", "text": "what is this"}]}])
    parts = last_upstream_body(upstream)["messages"][-1]["content"]
    assert parts[0] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{png}"}}
    assert parts[1] == {"type": "text", "text": "what is this"}


def test_streaming_events_and_final_message(gw: RunningGateway) -> None:
    with client(gw).messages.stream(model="chat-a", max_tokens=50,
                                    messages=[{"role": "user", "content": "one two three four"}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == "one two three four" and final.content[0].text == text
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 4 and final.usage.input_tokens == 4
    events = [e.type for e in client(gw).messages.create(
        model="chat-a", max_tokens=50, stream=True, messages=[{"role": "user", "content": "a b"}])]
    assert events[:3] == ["message_start", "content_block_start", "content_block_delta"]
    assert events[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    rows = gw.rows(stream=True)
    assert len(rows) == 2 and all(r.status == "ok" and r.completion_tokens > 0 for r in rows)


def test_a_client_gone_mid_stream_is_recorded_at_once(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(chunk_delay=300)
    body = {"model": "chat-a", "max_tokens": 50, "stream": True,
            "messages": [{"role": "user", "content": "a b c d e f g h i j"}]}
    with gw.http() as http, http.stream("POST", "/v1/messages", json=body,
                                        headers={"x-api-key": gw.keys["alpha"]}) as answer:
        assert next(answer.iter_lines()) == "event: message_start"
    deadline = time.monotonic() + 3  # the whole answer would take over 3 s
    while not (rows := gw.rows(stream=True)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [(r.status, r.status_code) for r in rows] == [("cancelled", 499)]


@pytest.mark.parametrize("stream", [False, True])
def test_tool_use_round_trip(gw: RunningGateway, upstream: FakeUpstream, stream: bool) -> None:
    api = client(gw)
    asked = [{"role": "user", "content": "Paris"}]
    if stream:
        with api.messages.stream(model="chat-a", max_tokens=100, tools=[WEATHER], messages=asked) as events:
            first = events.get_final_message()
    else:
        first = api.messages.create(model="chat-a", max_tokens=100, tools=[WEATHER], messages=asked,
                                    tool_choice={"type": "tool", "name": "get_weather"})
    assert first.stop_reason == "tool_use"
    call = first.content[-1]
    assert call.type == "tool_use" and call.name == "get_weather" and call.input == {"city": "Paris"}
    sent = last_upstream_body(upstream)
    assert sent["tools"][0]["function"]["parameters"] == WEATHER["input_schema"]
    history = [*asked, {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in first.content]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id, "content": "sunny 21C"}]}]
    second = api.messages.create(model="chat-a", max_tokens=100, tools=[WEATHER], messages=history)
    assert second.stop_reason == "end_turn" and second.content[0].text == "sunny 21C"
    sent = last_upstream_body(upstream)["messages"]
    assert sent[1]["tool_calls"][0]["id"] == call.id and sent[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert sent[2] == {"role": "tool", "tool_call_id": call.id, "content": "sunny 21C"}


def test_errors_in_anthropic_format(gw: RunningGateway) -> None:
    with pytest.raises(anthropic.AuthenticationError) as bad_key:
        client(gw, key="wk-not-a-key").messages.create(model="chat-a", max_tokens=5,
                                                       messages=[{"role": "user", "content": "hi"}])
    assert bad_key.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]
    with pytest.raises(anthropic.BadRequestError, match="max_tokens"):
        client(gw).post("/v1/messages", cast_to=object, body={"model": "chat-a", "messages": []})
    with pytest.raises(anthropic.BadRequestError, match="'document'"):
        client(gw).messages.create(model="chat-a", max_tokens=5, messages=[{"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "x"}}]}])
    with pytest.raises(anthropic.PermissionDeniedError):
        client(gw, "beta").messages.create(model="chat-a", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with pytest.raises(anthropic.NotFoundError):
        client(gw).messages.create(model="nope", max_tokens=5, messages=[{"role": "user", "content": "x"}])
    with gw.http() as http:
        for body in (b"{not json", b"[1]", b'{"model": "chat-a", "max_tokens": "many", "messages": 3}'):
            answer = http.post("/v1/messages", content=body, headers={"x-api-key": gw.keys["alpha"]})
            assert answer.status_code == 400 and answer.json()["error"]["type"] == "invalid_request_error"
        answer = http.post("/v1/messages", content=b"{}", headers={"x-api-key": "wk-bad"})
        assert answer.status_code == 401 and answer.json()["type"] == "error"
    refused = [r for r in gw.rows() if r.status_code == 400]
    assert len(refused) == 5 and all(r.team == "alpha" for r in refused)


def test_guardrail_blocks_input_and_streamed_output(guarded: RunningGateway, upstream: FakeUpstream) -> None:
    api = client(guarded)
    with pytest.raises(anthropic.BadRequestError, match="test_banned_word") as blocked:
        api.messages.create(model="chat-a", max_tokens=20, messages=[{"role": "user", "content": "say FORBIDDEN"}])
    assert blocked.value.body["error"]["type"] == "invalid_request_error"  # type: ignore[index]
    assert upstream.requests_to("/chat/completions") == []
    upstream.set_behaviour(reply="this is FORBIDDEN text")
    with pytest.raises(anthropic.APIStatusError, match="test_banned_word"):
        with api.messages.stream(model="chat-a", max_tokens=20, messages=[{"role": "user", "content": "hi"}]) as s:
            s.get_final_message()
    assert [r.status for r in guarded.rows()] == ["blocked", "blocked"]


def test_count_tokens(gw: RunningGateway) -> None:
    api = client(gw)
    short = api.messages.count_tokens(model="chat-a", messages=[{"role": "user", "content": "hi"}])
    longer = api.messages.count_tokens(model="chat-a", system="You are a careful assistant.", tools=[WEATHER],
                                       messages=[{"role": "user", "content": "hello " * 100}])
    assert 0 < short.input_tokens < longer.input_tokens and 150 <= longer.input_tokens < 300
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA" * 5000}}
    pictured = api.messages.count_tokens(model="chat-a", messages=[{"role": "user", "content": [
        image, {"type": "text", "text": "hi"}]}])
    assert pictured.input_tokens == short.input_tokens + 2_000  # an image as budgets count it, not its base64
    with pytest.raises(anthropic.PermissionDeniedError):
        client(gw, "beta").messages.count_tokens(model="chat-a", messages=[{"role": "user", "content": "hi"}])
    assert [r for r in gw.rows() if r.status == "ok"] == []  # counting spends nothing


def test_routes_without_the_v1_prefix(gw: RunningGateway) -> None:
    with gw.http() as http:
        answer = http.post("/messages", headers={"x-api-key": gw.keys["alpha"], "anthropic-version": "2023-06-01"},
                           json={"model": "chat-a", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
        assert answer.status_code == 200 and answer.json()["content"][0]["text"] == "hi"
        assert http.post("/messages", json={}).status_code == 401
        bearer = http.post("/v1/messages", headers={"authorization": f"Bearer {gw.keys['alpha']}"},
                           json={"model": "chat-a", "max_tokens": 5, "messages": [{"role": "user", "content": "yo"}]})
        assert bearer.status_code == 200 and bearer.json()["content"][0]["text"] == "yo"
    openai_client = gw.client()
    openai_client.base_url = httpx.URL(gw.base_url + "/")
    assert [m.id for m in openai_client.models.list()] == ["chat-a", "chat-b", "embed-a"]
    chat = openai_client.chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hey"}])
    assert chat.choices[0].message.content == "hey"


def test_the_team_rate_limit_applies_to_messages_and_moderations(make_gateway: GatewayFactory,
                                                                  upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("chat-a", upstream)], "prompts": None}
    with make_gateway(config, {"alpha": {"rpm": 2}}) as gw:
        api = client(gw)
        api.messages.create(model="chat-a", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        gw.client().moderations.create(input="hello")
        with pytest.raises(anthropic.RateLimitError) as limited:
            api.messages.create(model="chat-a", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
        assert limited.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]
        assert int(limited.value.response.headers["retry-after"]) >= 1
        assert [r.status_code for r in gw.rows()] == [200, 200, 429]


GREETING = """---
name: greet
description: test prompt
owner: qa@example.com
team: qa
model: chat-a
parameters: {temperature: 0.3, max_tokens: 50}
variables:
  who: {type: string}
---
## system
You greet people.

## user
Hello {{ who }}
"""


def test_a_stored_prompt_through_messages(make_gateway: GatewayFactory, upstream: FakeUpstream,
                                          tmp_path: Path) -> None:
    repo = tmp_path / "prompts-repo"
    (repo / "prompts").mkdir(parents=True)
    (repo / "prompts" / "greet.md").write_text(GREETING)
    for args in (["init", "-q", "-b", "main"], ["add", "-A"],
                 ["-c", "user.email=qa@example.com", "-c", "user.name=QA", "commit", "-qm", "greet"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
    config = {"model_list": [deployment("chat-a", upstream)], "prompts": {"path": str(repo / "prompts")}}
    with make_gateway(config) as gw:
        raw = client(gw).messages.with_raw_response.create(
            model="prompt:greet@latest", max_tokens=10, messages=[{"role": "user", "content": "and you?"}],
            extra_body={"prompt": {"variables": {"who": "Ada"}}})
        assert raw.parse().content[0].text == "and you?"
        sent = last_upstream_body(upstream)
        assert sent["messages"][:2] == [{"role": "system", "content": "You greet people."},
                                        {"role": "user", "content": "Hello Ada"}]
        assert sent["max_tokens"] == 50 and sent["temperature"] == 0.3  # the prompt's parameters
        row = gw.row(raw.headers["x-request-id"])
        assert (row.prompt_name, row.prompt_label, row.requested_model) == ("greet", "latest", "chat-a")
