"""Deployments that declare `model_info.supports_native_responses` get the Responses API natively: the real `openai`
SDK -> Warden -> a fake upstream serving `/v1/responses` on a socket, with Warden's store, guardrails and usage."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.gateway.conftest import PRICE_IN, PRICE_OUT, GatewayFactory, deployment
from tests.support.fake_native import THOUGHT
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway
from tests.support.word_guardrail import BannedWord

NATIVE = {"supports_native_responses": True}
EMAIL = "jean.dupont@example.com"
POLICIES = {"words": {"input": [{"guardrail": BannedWord.name, "mode": "block"}],
                      "output": [{"guardrail": BannedWord.name, "mode": "block"}]},
            "pii": {"input": [{"guardrail": "pii", "mode": "mask"}]},
            "outpii": {"output": [{"guardrail": "pii", "mode": "mask", "restore_output": False}]},
            "piiblock": {"output": [{"guardrail": "pii", "mode": "block"}]}}


@pytest.fixture()
def gw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    config = {"model_list": [deployment("gpt-r", upstream, model_info=NATIVE), deployment("chat-b", upstream)],
              "guardrail_policies": POLICIES, "prompts": None,
              "router_settings": {"num_retries": 0, "retry_backoff_s": 0.01, "timeout": 5}}
    teams = {"alpha": {}, "words": {"guardrail_policy": "words"}, "pii": {"guardrail_policy": "pii"},
             "outpii": {"guardrail_policy": "outpii"}, "piiblock": {"guardrail_policy": "piiblock"}}
    with make_gateway(config, teams) as running:
        yield running


def sent(upstream: FakeUpstream) -> dict[str, Any]:
    return upstream.requests_to("/v1/responses")[-1].json


def test_the_upstream_gets_the_responses_body_and_the_client_its_items(gw: RunningGateway,
                                                                       upstream: FakeUpstream) -> None:
    raw = gw.client().responses.with_raw_response.create(
        model="gpt-r", input="hello world", instructions="Be brief.", reasoning={"effort": "low", "summary": "auto"},
        tools=[{"type": "web_search"}], include=["reasoning.encrypted_content"])
    request = upstream.requests_to("/v1/responses")[-1]
    assert upstream.requests_to("/chat/completions") == []
    assert request.headers["authorization"] == "Bearer sk-upstream-secret"
    body = request.json
    assert body["model"] == "gpt-r-upstream" and body["instructions"] == "Be brief."
    assert body["input"] == [{"type": "message", "role": "user", "content": "hello world"}]
    assert body["tools"] == [{"type": "web_search"}] and body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert body["store"] is False and "previous_response_id" not in body
    response = raw.parse()
    assert [item.type for item in response.output] == ["reasoning", "web_search_call", "message"]
    assert response.output[0].summary[0].text == THOUGHT and response.output_text == "hello world"
    assert response.model == "gpt-r" and response.store is True
    row = gw.row(raw.headers["x-request-id"])
    assert (row.status, row.endpoint, row.deployment) == ("ok", "responses", "gpt-r#0")
    assert row.reasoning_tokens == response.usage.output_tokens_details.reasoning_tokens > 0
    assert row.prompt_tokens == response.usage.input_tokens and row.completion_tokens == response.usage.output_tokens
    assert row.cost_usd == pytest.approx(row.prompt_tokens * PRICE_IN + row.completion_tokens * PRICE_OUT)


def test_warden_keeps_the_conversation_and_sends_it_whole(gw: RunningGateway, upstream: FakeUpstream) -> None:
    api = gw.client()
    first = api.responses.create(model="gpt-r", input="first question", reasoning={"effort": "low"})
    second = api.responses.create(model="gpt-r", input="second question", previous_response_id=first.id)
    body = sent(upstream)
    assert "previous_response_id" not in body and body["store"] is False
    assert [(i.get("role"), i["content"]) for i in body["input"]] == [
        ("user", "first question"), ("assistant", [{"type": "output_text", "text": "first question"}]),
        ("user", "second question")]  # the reasoning item of the first turn is not replayed
    assert second.previous_response_id == first.id and second.output_text == "second question"
    stored = api.responses.retrieve(first.id)
    assert [item.type for item in stored.output] == ["reasoning", "message"]


def test_a_stream_is_relayed_and_stored(gw: RunningGateway, upstream: FakeUpstream) -> None:
    api = gw.client()
    events = list(api.responses.create(model="gpt-r", input="one two three", reasoning={"effort": "low"},
                                       stream=True))
    kinds = [e.type for e in events]
    assert sent(upstream)["stream"] is True
    assert kinds[0] == "response.created" and kinds[-1] == "response.completed"
    assert "response.output_text.delta" in kinds and [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    assert [item.type for item in final.output] == ["reasoning", "message"] and final.output_text == "one two three"
    assert final.model == "gpt-r" and api.responses.retrieve(final.id).output_text == "one two three"
    [row] = gw.rows()
    assert row.stream and row.status == "ok" and row.reasoning_tokens > 0 and row.cost_usd > 0


def test_input_and_streamed_output_guardrails(gw: RunningGateway, upstream: FakeUpstream) -> None:
    api = gw.client("words")
    with pytest.raises(openai.BadRequestError):
        api.responses.create(model="gpt-r", input="say FORBIDDEN")
    assert upstream.requests_to("/v1/responses") == []
    upstream.set_behaviour(reply="All good. Now FORBIDDEN things.")
    texts: list[str] = []
    with pytest.raises(openai.APIError) as caught:
        for event in api.responses.create(model="gpt-r", input="how is it going?", stream=True):
            if event.type == "response.output_text.delta":
                texts.append(event.delta)
    assert "".join(texts) == "All good." and "blocked by" in str(caught.value)
    assert [r.status for r in gw.rows()] == ["blocked", "blocked"]


def test_masked_input_goes_upstream_and_the_answer_is_restored(gw: RunningGateway, upstream: FakeUpstream) -> None:
    response = gw.client("pii").responses.create(model="gpt-r", input=f"Write to {EMAIL} today.")
    assert EMAIL not in json.dumps(sent(upstream)) and "<EMAIL_ADDRESS_1>" in json.dumps(sent(upstream))
    assert EMAIL in response.output_text


def test_masked_output_is_what_every_closing_event_says(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(reply=f"Sure. Write to {EMAIL} today.")
    events = list(gw.client("outpii").responses.create(model="gpt-r", input="who do I write to?", stream=True))
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert "<EMAIL_ADDRESS" in streamed and EMAIL not in json.dumps([e.model_dump() for e in events])
    done = {e.type: e for e in events}
    assert done["response.output_text.done"].text == streamed == done["response.completed"].response.output_text
    assert done["response.output_item.done"].item.content[0].text == streamed
    assert gw.client("outpii").responses.retrieve(done["response.completed"].response.id).output_text == streamed


def test_built_in_tools_need_native_deployments(gw: RunningGateway, upstream: FakeUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        gw.client().responses.create(model="chat-b", input="hi", tools=[{"type": "web_search"}])
    assert "web_search" in caught.value.message and "chat-b#1" in caught.value.message
    with pytest.raises(openai.BadRequestError) as caught:
        gw.client().responses.create(model="gpt-r", input="hi", tools=[{"type": "mcp", "server_url": "http://x"}])
    assert "tools" in caught.value.message
    assert upstream.requests == []


def test_a_failing_native_deployment_falls_back_to_a_translated_one(
        make_gateway: GatewayFactory, upstream: FakeUpstream, second_upstream: FakeUpstream) -> None:
    config = {"model_list": [deployment("gpt-r", upstream, model_info=NATIVE), deployment("chat-b", second_upstream)],
              "prompts": None, "router_settings": {"num_retries": 0, "retry_backoff_s": 0.01, "timeout": 5,
                                                   "fallbacks": [{"gpt-r": ["chat-b"]}]}}
    upstream.set_behaviour(status=503)
    with make_gateway(config) as gw:
        raw = gw.client().responses.with_raw_response.create(model="gpt-r", input="fall back", instructions="Short.")
        assert raw.parse().output_text == "fall back" and len(upstream.requests_to("/v1/responses")) == 1
        chat = second_upstream.requests_to("/chat/completions")[-1].json
        assert chat["messages"][0] == {"role": "system", "content": "Short."}
        row = gw.row(raw.headers["x-request-id"])
        assert (row.served_model, row.fallback_from) == ("chat-b", "gpt-r")


MAIL_TOOL = {"type": "function", "name": "send_mail",
             "parameters": {"type": "object", "properties": {"body": {"type": "string"}}}}


def test_output_guardrails_read_function_call_arguments(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(reply=f"Write to {EMAIL} today")
    with pytest.raises(openai.BadRequestError):
        gw.client("piiblock").responses.create(model="gpt-r", input="Write the mail.", tools=[MAIL_TOOL],
                                               tool_choice="required")
    [row] = gw.rows()
    assert row.status == "blocked" and len(upstream.requests_to("/v1/responses")) == 1


def test_output_masking_reaches_function_call_arguments(gw: RunningGateway, upstream: FakeUpstream) -> None:
    upstream.set_behaviour(reply=f"Write to {EMAIL} today")
    answer = gw.client("outpii").responses.create(model="gpt-r", input="Write the mail.", tools=[MAIL_TOOL],
                                                  tool_choice="required")
    [call] = [item for item in answer.output if item.type == "function_call"]
    body = json.loads(call.arguments)["body"]
    assert call.name == "send_mail" and EMAIL not in body and body.startswith("Write to ")
