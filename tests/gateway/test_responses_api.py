"""`/v1/responses` with the real openai SDK, through the one pipeline, against a fake upstream on a real socket."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from typing import Any

import openai
import pytest
from pydantic import BaseModel

from guardrails import registry
from guardrails.base import CheckContext, Finding, Guardrail, Segment, Verdict
from tests.gateway.conftest import PRICE_IN, PRICE_OUT, GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

TOOLS = [{"type": "function", "name": "lookup", "description": "Find an order",
          "parameters": {"type": "object", "properties": {"order": {"type": "string"}}, "required": ["order"]}}]


class _Word(Guardrail):
    """Blocks any text that says FORBIDDEN."""

    name = "test_responses_word"
    stages = ("input", "output")

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        hits = [Finding("word", 1.0, i) for i, s in enumerate(segments) if "FORBIDDEN" in s.text]
        return self.verdict(bool(hits), 1.0 if hits else 0.0, hits)


registry.register(_Word)


@pytest.fixture()
def rgw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    policies = {"in": {"input": [{"guardrail": "test_responses_word", "mode": "block"}]},
                "pii": {"input": [{"guardrail": "pii", "mode": "mask"}]},
                "out": {"output": [{"guardrail": "test_responses_word", "mode": "block"}]}}
    config = {"model_list": [deployment("chat-a", upstream), deployment("chat-b", upstream)],
              "guardrail_policies": policies, "prompts": None}
    teams = {"alpha": {}, "beta": {"models": ["chat-b"]}, "inwords": {"guardrail_policy": "in"},
             "outwords": {"guardrail_policy": "out"}, "pii": {"guardrail_policy": "pii"}}
    with make_gateway(config, teams) as running:
        yield running


def _sent(upstream: FakeUpstream) -> dict[str, Any]:
    return upstream.requests_to("/chat/completions")[-1].json


def test_plain_text_input_answers_a_response_and_writes_a_usage_row(rgw: RunningGateway) -> None:
    raw = rgw.client().responses.with_raw_response.create(model="chat-a", input="hello warden gateway", store=False)
    response = raw.parse()
    assert response.id.startswith("resp_") and response.object == "response" and response.status == "completed"
    assert response.output_text == "hello warden gateway"
    assert response.output[0].type == "message" and response.output[0].content[0].type == "output_text"
    usage = response.usage
    assert usage.output_tokens == 3 and usage.total_tokens == usage.input_tokens + 3 and usage.input_tokens > 0
    row = rgw.row(raw.headers["x-request-id"])
    assert (row.status, row.team, row.requested_model, row.stream) == ("ok", "alpha", "chat-a", False)
    assert row.endpoint == "responses"
    assert (row.prompt_tokens, row.completion_tokens) == (usage.input_tokens, 3)
    assert row.cost_usd == pytest.approx(usage.input_tokens * PRICE_IN + 3 * PRICE_OUT)


def test_instructions_and_options_are_translated(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    response = rgw.client().responses.create(
        model="chat-a", instructions="Answer in JSON.", input=[{"role": "user", "content": "Where is Lyon?"}],
        temperature=0.3, top_p=0.9, max_output_tokens=40, metadata={"ticket": "7"}, user="end-user-1",
        text={"format": {"type": "json_schema", "name": "place", "schema": schema, "strict": True},
              "verbosity": "low"},
        reasoning={"effort": "low"}, prompt_cache_key="k1", safety_identifier="u-hash", include=[],
        truncation="disabled")
    sent = _sent(upstream)
    assert (sent["reasoning_effort"], sent["verbosity"], sent["prompt_cache_key"]) == ("low", "low", "k1")
    assert sent["safety_identifier"] == "u-hash" and "include" not in sent and "truncation" not in sent
    assert sent["messages"] == [{"role": "system", "content": "Answer in JSON."},
                                {"role": "user", "content": "Where is Lyon?"}]
    assert (sent["temperature"], sent["top_p"], sent["max_tokens"], sent["user"]) == (0.3, 0.9, 40, "end-user-1")
    assert sent["metadata"] == {"ticket": "7"}
    assert sent["response_format"] == {"type": "json_schema",
                                       "json_schema": {"name": "place", "schema": schema, "strict": True}}
    assert "city" in json.loads(response.output_text)
    assert response.instructions == "Answer in JSON." and response.metadata == {"ticket": "7"}


class Place(BaseModel):
    city: str
    country: str


def test_parse_with_a_pydantic_text_format(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    parsed = rgw.client().responses.parse(model="chat-a", input="Where is Lyon?", text_format=Place, store=False)
    assert isinstance(parsed.output_parsed, Place)
    assert _sent(upstream)["response_format"]["json_schema"]["strict"] is True


def test_multipart_input_with_an_image(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    content = [{"type": "input_text", "text": "what is this"},
               {"type": "input_image", "image_url": "data:image/png;base64,AAAA", "detail": "low"}]
    rgw.client().responses.create(model="chat-a", input=[{"role": "user", "content": content}])
    assert _sent(upstream)["messages"][0]["content"] == [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA", "detail": "low"}}]


def test_function_call_round_trip(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    client = rgw.client()
    question = [{"role": "user", "content": "where is order 42"}]
    first = client.responses.create(model="chat-a", input=question, tools=TOOLS, tool_choice="required",
                                    parallel_tool_calls=False, store=False)
    call = first.output[0]
    assert call.type == "function_call" and call.name == "lookup" and call.call_id.startswith("call_")
    assert "order" in json.loads(call.arguments)
    sent = _sent(upstream)
    assert sent["tools"] == [{"type": "function", "function": {k: v for k, v in TOOLS[0].items() if k != "type"}}]
    assert (sent["tool_choice"], sent["parallel_tool_calls"]) == ("required", False)
    follow_up = [*question, call.model_dump(exclude_none=True),
                 {"type": "function_call_output", "call_id": call.call_id, "output": "shipped on Monday"}]
    second = client.responses.create(model="chat-a", input=follow_up, tools=TOOLS, store=False)
    assert second.output_text == "shipped on Monday"
    messages = _sent(upstream)["messages"]
    assert messages[1]["tool_calls"][0]["id"] == call.call_id and messages[1]["role"] == "assistant"
    assert messages[2] == {"role": "tool", "tool_call_id": call.call_id, "content": "shipped on Monday"}


def test_a_cut_answer_is_incomplete(rgw: RunningGateway) -> None:
    response = rgw.client().responses.create(model="chat-a", input="one two three four five", max_output_tokens=2,
                                             store=False)
    assert response.status == "incomplete" and response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "one two"


def test_named_function_choice(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    rgw.client().responses.create(model="chat-a", input="go", tools=TOOLS,
                                  tool_choice={"type": "function", "name": "lookup"}, store=False)
    assert _sent(upstream)["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}


def test_stream_events_in_order_with_usage(rgw: RunningGateway) -> None:
    events = list(rgw.client().responses.create(model="chat-a", input="hello streaming world", stream=True,
                                                store=False))
    kinds = [e.type for e in events]
    assert kinds[:5] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added", "response.output_text.delta"]
    assert kinds[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.completed"]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert text == "hello streaming world" == events[-1].response.output_text
    assert events[-1].response.usage.output_tokens == 3
    row = rgw.rows(stream=True)[-1]
    assert (row.status, row.endpoint, row.completion_tokens) == ("ok", "responses", 3)


def test_stream_helper_gives_the_final_response(rgw: RunningGateway) -> None:
    with rgw.client().responses.stream(model="chat-a", input="hello helper [[fake:chunk_size=2]]") as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == "hello helper" == final.output_text and len(deltas) > 3


def test_streamed_function_call(rgw: RunningGateway) -> None:
    events = list(rgw.client().responses.create(model="chat-a", input="order 9 [[fake:chunk_size=3]]", tools=TOOLS,
                                                stream=True, store=False))
    kinds = [e.type for e in events]
    assert "response.function_call_arguments.delta" in kinds and "response.output_text.delta" not in kinds
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    arguments = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert done.arguments == arguments and done.name == "lookup" and "order" in json.loads(arguments)
    assert events[-1].response.output[0].type == "function_call"


def test_pii_is_masked_upstream_and_restored_in_the_stream(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    email = "jean.dupont@example.com"
    events = list(rgw.client("pii").responses.create(
        model="chat-a", input=f"write to {email} today [[fake:chunk_size=3]]", stream=True, store=False))
    assert email not in json.dumps(_sent(upstream)["messages"])
    assert email in "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert email in events[-1].response.output_text


def test_bad_key_is_an_authentication_error(rgw: RunningGateway) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        rgw.client(key="wk-not-a-key").responses.create(model="chat-a", input="hi")
    row = rgw.row(raised.value.response.headers["x-request-id"])
    assert (row.status_code, row.error_type, row.team) == (401, "invalid_api_key", None)


@pytest.mark.parametrize(("extra", "param"), [
    ({"background": True}, "background"),
    ({"truncation": "auto"}, "truncation"),
    ({"input": [{"type": "item_reference", "id": "msg_1"}]}, "input"),
    ({"tools": [{"type": "web_search"}]}, "tools.0"),
    ({"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]}, "input"),
    ({"temperature": 9}, "temperature"),
    ({"text": {"format": {"type": "json_schema", "name": "x", "schema": {"$ref": "http://127.0.0.1:1/s.json"}}}},
     "text.format.schema"),
    ({"extra_body": {"api_base": "http://127.0.0.1:1"}}, "api_base"),
    ({"extra_body": {"messages": []}}, "messages"),
    ({"input": []}, "input"),
])
def test_bad_bodies_are_openai_400s(rgw: RunningGateway, extra: dict[str, Any], param: str) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        rgw.client().responses.create(**{"model": "chat-a", "input": "hi", **extra})
    error = raised.value.response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"].startswith(param), error
    row = rgw.row(raised.value.response.headers["x-request-id"])
    assert (row.status, row.status_code, row.endpoint, row.team) == ("error", 400, "responses", "alpha")


def test_a_model_the_team_may_not_use(rgw: RunningGateway) -> None:
    with pytest.raises(openai.PermissionDeniedError):
        rgw.client("beta").responses.create(model="chat-a", input="hi")


def test_input_guardrail_block(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        rgw.client("inwords").responses.create(model="chat-a", input="say FORBIDDEN", instructions="be kind")
    assert raised.value.code == "guardrail_violation" and not upstream.requests_to("/chat/completions")
    assert rgw.rows()[-1].status == "blocked"


def test_output_block(rgw: RunningGateway) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        rgw.client("outwords").responses.create(model="chat-a", input="this is FORBIDDEN")
    assert raised.value.code == "guardrail_violation" and "FORBIDDEN" not in raised.value.response.text


def test_output_block_mid_stream_fails_the_response(rgw: RunningGateway) -> None:
    seen: list[str] = []
    with pytest.raises(openai.APIError) as raised:
        for event in rgw.client("outwords").responses.create(
                model="chat-a", input="fine first. then FORBIDDEN words [[fake:chunk_size=4]]", stream=True):
            seen.append(event.type)
            if event.type == "response.failed":
                assert event.response.error.code == "guardrail_violation"
    assert "response.failed" in seen and "response.completed" not in seen
    assert "FORBIDDEN" not in "".join(seen) and "blocked" in raised.value.message
    assert rgw.rows()[-1].status == "blocked"


def test_client_gone_mid_stream_leaves_a_cancelled_row(rgw: RunningGateway, upstream: FakeUpstream) -> None:
    body = {"model": "chat-a", "input": "one two three four five six [[fake:chunk_delay=150]]", "stream": True}
    with rgw.http() as http, http.stream("POST", "/v1/responses", json=body,
                                         headers={"authorization": f"Bearer {rgw.keys['alpha']}"}) as answer:
        for line in answer.iter_lines():
            if "response.output_text.delta" in line:
                break
    deadline, rows = time.monotonic() + 10, []
    while time.monotonic() < deadline and not (rows := rgw.rows(stream=True)):
        time.sleep(0.05)
    row = rows[-1]
    assert (row.status, row.status_code) == ("cancelled", 499) and row.prompt_tokens > 0


def test_an_upstream_cut_fails_the_streamed_response(rgw: RunningGateway) -> None:
    seen = []
    with pytest.raises(openai.APIError):
        for event in rgw.client().responses.create(model="chat-a", input="one two three four five six seven "
                                                   "[[fake:cut_stream_after=4]]", stream=True, store=False):
            seen.append(event)
    failed = [e for e in seen if e.type == "response.failed"]
    assert failed and failed[0].response.error.code == "upstream_error" and failed[0].response.status == "failed"
    row = rgw.rows(stream=True)[-1]
    assert (row.status, row.error_type, row.endpoint) == ("error", "upstream_error", "responses")
