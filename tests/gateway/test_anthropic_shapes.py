"""The Messages -> chat-completions translation, case by case (no server: the end-to-end tests use the SDK)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from gateway.api.anthropic_shapes import MessagesRequest, chat_body, parse
from gateway.errors import BadRequest

BASE: dict[str, Any] = {"model": "m", "max_tokens": 9, "messages": [{"role": "user", "content": "hi"}]}
CALL = {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {"a": 1}}


def translate(**fields: Any) -> dict[str, Any]:
    return chat_body(parse(MessagesRequest, orjson.dumps({**BASE, **fields})))


@pytest.mark.parametrize(("fields", "expected"), [
    ({"tool_choice": {"type": "auto"}}, {"tool_choice": "auto"}),
    ({"tool_choice": {"type": "any", "disable_parallel_tool_use": True}},
     {"tool_choice": "required", "parallel_tool_calls": False}),
    ({"tool_choice": {"type": "none"}}, {"tool_choice": "none"}),
    ({"tool_choice": {"type": "tool", "name": "f"}}, {"tool_choice": {"type": "function", "function": {"name": "f"}}}),
    ({"stream": True}, {"stream": True, "stream_options": {"include_usage": True}}),
    ({"top_p": 0.9, "metadata": {"user_id": "u"}}, {"top_p": 0.9, "user": "u"}),
])
def test_fields(fields: dict[str, Any], expected: dict[str, Any]) -> None:
    body = translate(**fields)
    assert {k: body[k] for k in expected} == expected


@pytest.mark.parametrize("fields", [
    {"top_k": 5}, {"thinking": {"type": "enabled", "budget_tokens": 1024}}, {"service_tier": "auto"},
    {"api_base": "http://evil"}, {"context_management": {}},
])
def test_unknown_fields_are_dropped(fields: dict[str, Any]) -> None:
    assert set(translate(**fields)) == {"model", "messages", "max_tokens"}


def test_history_with_tool_calls_results_and_thinking() -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": [{"type": "thinking", "thinking": "hm", "signature": "s"},
                                          {"type": "text", "text": "calling"}, CALL]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "is_error": True,
             "content": [{"type": "text", "text": "boom"},
                         {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA"}}]},
            {"type": "text", "text": "and now?", "cache_control": {"type": "ephemeral"}}]},
    ]
    sent = translate(messages=messages)["messages"]
    assert sent[1] == {"role": "assistant", "content": "calling", "tool_calls": [
        {"id": "toolu_1", "type": "function", "function": {"name": "f", "arguments": '{"a":1}'}}]}
    assert sent[2] == {"role": "tool", "tool_call_id": "toolu_1", "content": "Error: boom"}
    assert sent[3] == {"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}}, {"type": "text", "text": "and now?"}]}


@pytest.mark.parametrize(("fields", "quoted"), [
    ({"max_tokens": None}, "max_tokens"),
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "system", "content": "x"}]}, "'system'"),
    ({"messages": [{"role": "user", "content": [{"type": "document", "source": {}}]}]}, "'document'"),
    ({"messages": [{"role": "user", "content": [
        {"type": "image", "source": {"type": "url", "url": "http://169.254.169.254/"}}]}]}, "'url'"),
    ({"messages": [{"role": "user", "content": [CALL]}]}, "'tool_use'"),
    ({"messages": [{"role": "assistant", "content": [
        {"type": "tool_result", "tool_use_id": "x", "content": "y"}]}]}, "assistant"),
    ({"tools": [{"type": "web_search_20250305", "name": "web_search"}]}, "'web_search_20250305'"),
    ({"tool_choice": {"type": "tool"}}, "name"),
    ({"temperature": 1.5}, "temperature"),
])
def test_refusals_name_the_offending_value(fields: dict[str, Any], quoted: str) -> None:
    with pytest.raises(BadRequest, match=quoted):
        translate(**fields)
