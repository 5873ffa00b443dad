"""LangChain's `ChatOpenAI` against the gateway over HTTP, in both of its modes: chat completions (the default)
and the Responses API (`use_responses_api=True`); plain, streamed, and a tool call round-trip."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

from tests.gateway.conftest import GatewayFactory, deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway

MODES = pytest.mark.parametrize("responses", [False, True], ids=["chat", "responses"])


@tool
def lookup(order: str) -> str:
    """Find an order by its number."""
    return f"order {order} shipped on Monday"


@pytest.fixture()
def lgw(make_gateway: GatewayFactory, upstream: FakeUpstream) -> Iterator[RunningGateway]:
    config = {"model_list": [deployment("chat-a", upstream)], "prompts": None}
    with make_gateway(config) as running:
        yield running


def chat_model(gw: RunningGateway, responses: bool) -> ChatOpenAI:
    return ChatOpenAI(model="chat-a", base_url=gw.base_url + "/v1", api_key=gw.keys["alpha"], max_retries=0,
                      timeout=30, use_responses_api=responses, stream_usage=True)


def endpoint(responses: bool) -> str:
    """The usage row's `endpoint`: proves which route LangChain called."""
    return "responses" if responses else "chat"


@MODES
def test_invoke_answers_with_usage_and_a_usage_row(lgw: RunningGateway, upstream: FakeUpstream,
                                                   responses: bool) -> None:
    answer = chat_model(lgw, responses).invoke([HumanMessage("hello warden gateway")])
    assert isinstance(answer, AIMessage) and answer.text == "hello warden gateway"
    assert answer.usage_metadata is not None and answer.usage_metadata["output_tokens"] == 3
    assert upstream.requests_to("/chat/completions")[-1].json["messages"][-1]["content"] == "hello warden gateway"
    row = lgw.rows()[-1]
    assert (row.endpoint, row.served_model, row.status, row.completion_tokens) == (
        endpoint(responses), "chat-a", "ok", 3)


@MODES
def test_stream_delivers_the_text_in_pieces(lgw: RunningGateway, upstream: FakeUpstream, responses: bool) -> None:
    chunks = list(chat_model(lgw, responses).stream([HumanMessage("one two three four five")]))
    texts = [c.text for c in chunks if c.text]
    assert len(texts) >= 2 and "".join(texts).split() == ["one", "two", "three", "four", "five"]
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total, AIMessageChunk) and total.usage_metadata is not None
    assert total.usage_metadata["output_tokens"] == 5
    assert upstream.requests_to("/chat/completions")[-1].json["stream"] is True
    assert lgw.rows()[-1].endpoint == endpoint(responses)


@MODES
def test_tool_call_round_trip(lgw: RunningGateway, upstream: FakeUpstream, responses: bool) -> None:
    model = chat_model(lgw, responses).bind_tools([lookup], tool_choice="lookup")
    question = HumanMessage("where is order 42")
    first = model.invoke([question])
    assert len(first.tool_calls) == 1 and first.tool_calls[0]["name"] == "lookup"
    call = first.tool_calls[0]
    assert set(call["args"]) == {"order"} and call["id"]
    sent = upstream.requests_to("/chat/completions")[-1].json
    assert sent["tools"][0]["function"]["name"] == "lookup"
    result = ToolMessage(lookup.invoke(call["args"]), tool_call_id=call["id"])
    second = chat_model(lgw, responses).bind_tools([lookup]).invoke([question, first, result])
    assert not second.tool_calls and second.text == result.content
    messages = upstream.requests_to("/chat/completions")[-1].json["messages"]
    assert messages[1]["role"] == "assistant" and messages[1]["tool_calls"][0]["id"] == call["id"]
    assert messages[2] == {"role": "tool", "tool_call_id": call["id"], "content": result.content}
    assert [row.endpoint for row in lgw.rows()] == [endpoint(responses)] * 2
