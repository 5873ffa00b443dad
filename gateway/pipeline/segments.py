"""Request messages to guardrail segments and back (after masking)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.pipeline.tool_arguments import split, text_calls
from gateway.media_schemas import MediaRequest
from gateway.schemas import ChatRequest, EmbeddingRequest
from guardrails.base import Role, Segment

_ROLES: dict[str, Role] = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
                           "tool": "tool", "function": "tool"}


VARIABLE = "variable:"
FIELD = "field:"
"""The source of a media request's text: the body field it came from (`field:prompt`), where a mask goes back."""


def request_segments(request: ChatRequest | EmbeddingRequest | MediaRequest,
                     variables: dict[str, Any] | None = None) -> list[Segment]:
    """Every text of the request, by role: messages, text parts of multi-part content, documents, and the
    caller's values for a stored prompt's variables (user text, whatever slot they fill)."""
    if isinstance(request, EmbeddingRequest):
        return [Segment(text, "user", index) for index, text in enumerate(request.texts())]
    if isinstance(request, MediaRequest):
        return [Segment(text, "user", None, None, FIELD + name) for name, text in request.field_texts()]
    out = []
    for index, message in enumerate(request.messages):
        role = _ROLES[message.role]
        source = message.name or message.tool_call_id
        for part, text in message.texts():
            out.append(Segment(text, role, index, part, source))
        for number, function in text_calls(message.tool_calls):
            # The arguments of the assistant's earlier tool calls go upstream again with the history.
            out.extend(split(function["arguments"], index, number, function.get("name")).segments)
    for position, document in enumerate(request_documents(request)):
        out.append(Segment(document, "document", None, position, f"document[{position}]"))
    for name, value in (variables or {}).items():
        if isinstance(value, str):
            out.append(Segment(value, "user", None, None, VARIABLE + name))
    return out


def request_documents(request: ChatRequest) -> list[str]:
    """Retrieved context sent as `extra_body={"documents": [...]}` or `{"context": "..." | [...]}`."""
    found: list[str] = []
    for name in ("documents", "context"):
        value = request.extension(name)
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    found.append(item)
                elif isinstance(item, dict) and isinstance(item.get("text") or item.get("content"), str):
                    found.append(item.get("text") or item.get("content"))
    return found


def apply_rewrites(payload: dict[str, Any], segments: Sequence[Segment], variables: dict[str, Any]) -> None:
    """Write masked texts back into the outgoing messages and prompt variables (documents are not sent
    upstream as such)."""
    for segment in segments:
        if segment.source and segment.source.startswith(VARIABLE) and segment.message_index is None:
            variables[segment.source[len(VARIABLE) :]] = segment.text
        if segment.source and segment.source.startswith(FIELD) and segment.source[len(FIELD):] in payload:
            payload[segment.source[len(FIELD):]] = segment.text
    messages = payload.get("messages")
    if isinstance(messages, list):
        payload["messages"] = messages = [dict(m) if isinstance(m, dict) else m for m in messages]
    calls: dict[tuple[int, int], list[str]] = {}
    for segment in segments:
        if segment.message_index is None or not isinstance(messages, list):
            if "input" in payload and segment.message_index is not None:
                _rewrite_input(payload, segment)
            continue
        message = messages[segment.message_index]
        if segment.role == "tool_call" and segment.part_index is not None:
            calls.setdefault((segment.message_index, segment.part_index), []).append(segment.text)
        elif segment.part_index is None:
            message["content"] = segment.text
        else:
            parts = [dict(p) for p in message["content"]]
            parts[segment.part_index]["text"] = segment.text
            message["content"] = parts


    for (index, number), texts in calls.items():
        assert isinstance(messages, list)
        message = messages[index]
        message["tool_calls"] = tool_calls = [dict(call) for call in message["tool_calls"]]
        tool_calls[number]["function"] = function = dict(tool_calls[number]["function"])
        function["arguments"] = split(function["arguments"], index, number, None).rebuild(texts)


def _rewrite_input(payload: dict[str, Any], segment: Segment) -> None:
    if isinstance(payload["input"], str):
        payload["input"] = segment.text
    else:
        payload["input"] = list(payload["input"])
        payload["input"][segment.message_index] = segment.text
