"""The pipeline's chat answer rendered in Anthropic's Messages shape: a message, its SSE events, its errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

import orjson

from gateway.api.chat_answer import Chunk, Choice, Message, Usage
from gateway.errors import WardenError

StopReason = Literal["end_turn", "max_tokens", "tool_use", "refusal"]
STOP_REASONS: dict[str | None, StopReason] = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use",
                                              "function_call": "tool_use", "content_filter": "refusal"}
ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 503: "overloaded_error"}


def message(body: dict[str, Any], model: str) -> dict[str, Any]:
    answer = Chunk.model_validate(body)
    choice = answer.choices[0] if answer.choices else Choice()
    content: list[dict[str, Any]] = [{"type": "text", "text": choice.message.content}] if choice.message.content else []
    for n, call in enumerate(choice.message.tool_calls or ()):
        content.append({"type": "tool_use", "id": call.id or f"toolu_{answer.id}_{n}", "name": call.function.name or "",
                        "input": _arguments(call.function.arguments)})
    stop = STOP_REASONS.get(choice.finish_reason, "end_turn")
    return {**_head(answer.id, model), "content": content, "stop_reason": stop,
            "usage": _usage(answer.usage or Usage())}


def error_body(exc: WardenError, request_id: str) -> bytes:
    kind = ERROR_TYPES.get(exc.status, "api_error")
    return orjson.dumps({"type": "error", "error": {"type": kind, "message": exc.message}, "request_id": request_id})


async def events(chunks: AsyncIterator[bytes], model: str) -> AsyncIterator[bytes]:
    """The pipeline's OpenAI SSE stream as Anthropic's events, block by block."""
    block: tuple[int, str] | None = None  # (Anthropic block index, "text" or the tool call's OpenAI index)
    index, stop, usage, failed = -1, None, Usage(), False
    # Read to the end, past `[DONE]` and errors: the pipeline's stream writes its usage row as it finishes.
    async for raw in chunks:
        data = raw.removeprefix(b"data: ").strip()
        chunk = {} if data == b"[DONE]" else orjson.loads(data)
        if index < 0:
            yield event("message_start", {"message": {**_head(chunk.get("id", ""), model), "content": [],
                                                      "stop_reason": None, "usage": _usage(usage)}})
            yield event("ping", {})
            index = 0
        if not chunk:
            continue
        if "error" in chunk:
            failed = True
            yield event("error", {"error": {"type": _stream_error_type(chunk["error"]),
                                            "message": str(chunk["error"].get("message"))}})
            continue
        parsed = Chunk.model_validate(chunk)
        usage = parsed.usage or usage
        for choice in parsed.choices[:1]:
            stop = choice.finish_reason or stop
            for piece, kind, start in _pieces(choice.delta):
                if start is not None or block is None or block[1] != kind:
                    if block is not None:
                        yield event("content_block_stop", {"index": block[0]})
                        index += 1
                    block = (index, kind)
                    yield event("content_block_start", {"index": index, "content_block": start or
                                                        {"type": "text", "text": ""}})
                if piece:
                    yield event("content_block_delta", {"index": index, "delta": piece})
    if failed:
        return
    if block is not None:
        yield event("content_block_stop", {"index": block[0]})
    if index >= 0:
        yield event("message_delta", {"delta": {"stop_reason": STOP_REASONS.get(stop, "end_turn"),
                                                "stop_sequence": None}, "usage": _usage(usage)})
        yield event("message_stop", {})


def event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps({"type": name, **data}) + b"\n\n"


def _pieces(delta: Message) -> list[tuple[dict[str, Any] | None, str, dict[str, Any] | None]]:
    """(delta, block kind, block start when a new block begins) for what one OpenAI delta carries."""
    out: list[tuple[dict[str, Any] | None, str, dict[str, Any] | None]] = []
    if delta.content:
        out.append(({"type": "text_delta", "text": delta.content}, "text", None))
    for call in delta.tool_calls or ():
        start = {"type": "tool_use", "id": call.id, "name": call.function.name or "", "input": {}} if call.id else None
        arguments = call.function.arguments
        out.append(({"type": "input_json_delta", "partial_json": arguments} if arguments else None,
                    f"tool{call.index}", start))
    return out


def _usage(usage: Usage) -> dict[str, int]:
    return {"input_tokens": usage.prompt_tokens or 0, "output_tokens": usage.completion_tokens or 0}


def _head(answer_id: str | None, model: str) -> dict[str, Any]:
    return {"id": f"msg_{answer_id or ''}", "type": "message", "role": "assistant", "model": model,
            "stop_sequence": None}


def _arguments(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return {"arguments": text}  # a model's malformed arguments, kept rather than lost
    return value if isinstance(value, dict) else {"value": value}


def _stream_error_type(error: dict[str, Any]) -> str:
    code = error.get("code")
    if code == "guardrail_violation":
        return "invalid_request_error"
    return "overloaded_error" if code == "shutting_down" else "api_error"
