"""The Responses request as deployments that serve the Responses API natively receive it, and their answer as the
client gets it.

The body is rebuilt at call time from the chat payload the pipeline settled (input guardrails' masking, a stored
prompt's messages, the stored conversation of `previous_response_id`) as Responses input items, with the client's
other documented fields as given (built-in tools, `reasoning`, `include`...). Warden's store is the conversation's
source of truth: the upstream gets the whole conversation, never `previous_response_id`, and `store: false`, so
it keeps nothing. The answer is the upstream's Response, its items as it sent them (reasoning, built-in tool calls),
echoing Warden's model name, the client's `previous_response_id` and `store`.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson

from gateway.api.responses_shapes import ResponsesRequest
from gateway.pipeline.context import NativeRequest

NATIVE_FIELDS = ("tools", "tool_choice", "parallel_tool_calls", "temperature", "top_p", "max_output_tokens",
                 "metadata", "user", "text", "reasoning", "prompt_cache_key", "safety_identifier", "service_tier",
                 "truncation", "include")
_FINAL = (b"event: response.completed\n", b"event: response.incomplete\n")
Json = dict[str, Any]
Keep = Callable[[Json], Awaitable[bool]]


def native_request(request: ResponsesRequest) -> NativeRequest:
    body: Json = request.model_dump(mode="json", include=set(NATIVE_FIELDS), exclude_none=True, by_alias=True)
    instructions = bool(request.instructions)  # the translation makes a system message of it only then

    def build(payload: Json) -> Json:
        out = copy.deepcopy(body)
        messages = list(payload.get("messages") or [])
        if instructions and messages and messages[0].get("role") == "system":
            out["instructions"] = _text(messages.pop(0).get("content"))
        out["input"] = [item for message in messages for item in _items(message)]
        for chat, native in (("temperature", "temperature"), ("top_p", "top_p"), ("max_tokens", "max_output_tokens")):
            if chat in payload:
                out[native] = payload[chat]
        out["store"], out["stream"] = False, bool(payload.get("stream"))
        return out

    return NativeRequest("responses", build)


def echoed(body: Json, request: ResponsesRequest) -> Json:
    """The upstream's Response as Warden answers it: its model name, the client's conversation settings."""
    return {**body, "model": request.model, "previous_response_id": request.previous_response_id,
            "store": request.store}


async def relayed(events: AsyncIterator[bytes], request: ResponsesRequest, keep: Keep) -> AsyncIterator[bytes]:
    """The native stream's events with each Response they carry echoed, the final one stored first."""
    async for event in events:
        if b'"response":{' not in event:
            yield event
            continue
        head, _, data = event.partition(b"data: ")
        parsed = orjson.loads(data)
        parsed["response"] = echoed(parsed["response"], request)
        if event.startswith(_FINAL) and request.store and not await keep(parsed["response"]):
            parsed["response"]["store"] = False
        yield head + b"data: " + orjson.dumps(parsed) + b"\n\n"


def _items(message: Json) -> list[Json]:
    role, content = message.get("role"), message.get("content")
    if role == "tool":
        return [{"type": "function_call_output", "call_id": message.get("tool_call_id"), "output": _text(content)}]
    if role == "assistant":
        said = [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": _text(content)}]}]
        calls = [{"type": "function_call", "call_id": c["id"], "name": c["function"]["name"],
                  "arguments": c["function"]["arguments"]} for c in message.get("tool_calls") or ()]
        return (said if _text(content) else []) + calls
    if isinstance(content, str):
        return [{"type": "message", "role": role, "content": content}]
    return [{"type": "message", "role": role, "content": [_part(p) for p in content or ()]}]


def _part(part: Json) -> Json:
    if part.get("type") == "image_url":
        image = part.get("image_url") or {}
        return {"type": "input_image", "image_url": image.get("url"),
                **({"detail": image["detail"]} if image.get("detail") else {})}
    return {"type": "input_text", "text": part.get("text", "")}


def _text(content: object) -> str:
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or () if isinstance(p, dict))  # type: ignore[union-attr]
