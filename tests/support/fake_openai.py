"""Deterministic OpenAI-shaped payloads for the fake upstream (no I/O here; the server lives in fake_upstream.py).

The answer is a pure function of the request: echo the last user message (directives removed), count one token per
word, honour n, max_tokens/max_completion_tokens, tools/tool_choice and response_format.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import struct
import time
from dataclasses import dataclass, field
from typing import Any

try:
    from .fake_behaviour import Behaviour, strip_directives
except ImportError:  # run as a script (python tests/support/fake_upstream.py): siblings are top-level modules
    from fake_behaviour import Behaviour, strip_directives  # type: ignore[no-redef]

JsonObj = dict[str, Any]
FINGERPRINT = "fp_fake_upstream"
EMBEDDING_DIMS = 16
_PIECE_RE = re.compile(r"\s*\S+\s*|\s+")


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class PlannedChoice:
    content: str | None
    tool_call: ToolCall | None
    finish_reason: str


@dataclass
class ChatPlan:
    """Everything needed to render a chat answer as one JSON body or as SSE chunks."""

    id: str
    model: str
    created: int
    choices: list[PlannedChoice]
    prompt_tokens: int
    details: dict[str, int] = field(default_factory=dict)
    """Token counts the usage reports as parts of its totals (`USAGE_DETAILS`)."""
    completion_tokens: int = field(init=False)

    def __post_init__(self) -> None:
        self.completion_tokens = sum(_choice_tokens(c) for c in self.choices)


def text_of(content: Any) -> str:
    """Message content as text: a string, or the text parts of a multi-part content list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text")
    return ""


def last_user_text(body: JsonObj) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return text_of(message.get("content"))
    return ""


def word_count(text: str) -> int:
    return len(text.split())


def plan_chat(body: JsonObj, behaviour: Behaviour, request_id: str) -> ChatPlan:
    messages = [m for m in body.get("messages") or [] if isinstance(m, dict)]
    prompt_tokens = sum(word_count(text_of(m.get("content"))) for m in messages)
    n = max(1, int(body.get("n") or 1))
    choice = _plan_choice(body, messages, behaviour, request_id)
    return ChatPlan(
        id=request_id,
        model=str(body.get("model", "")),
        created=int(time.time()),
        choices=[choice] * n,
        prompt_tokens=prompt_tokens,
        details={name: value for name in USAGE_DETAILS if (value := getattr(behaviour, name))},
    )


def _plan_choice(body: JsonObj, messages: list[JsonObj], behaviour: Behaviour, request_id: str) -> PlannedChoice:
    last_role = messages[-1].get("role") if messages else None
    tool = _chosen_tool(body)
    if tool is not None and last_role != "tool":
        text = strip_directives(last_user_text(body)) or "ok"
        arguments = json.dumps(sample_schema(tool.get("parameters") or {}, text), separators=(",", ":"))
        call = ToolCall(
            id=f"call_{_digest(request_id + tool['name'])[:24]}", name=str(tool["name"]), arguments=arguments
        )
        return PlannedChoice(content=None, tool_call=call, finish_reason="tool_calls")
    source = text_of(messages[-1].get("content")) if last_role == "tool" else last_user_text(body)
    text = behaviour.reply if behaviour.reply is not None else (strip_directives(source) or "ok")
    if behaviour.reply is None and behaviour.wrap is not None:
        text = behaviour.wrap.replace("{}", text)
    structured = _structured(body.get("response_format"), text)
    if structured is not None:
        return PlannedChoice(content=structured, tool_call=None, finish_reason="stop")
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if limit is not None and word_count(text) > int(limit):
        return PlannedChoice(content=" ".join(text.split()[: int(limit)]), tool_call=None, finish_reason="length")
    return PlannedChoice(content=text, tool_call=None, finish_reason="stop")


def _chosen_tool(body: JsonObj) -> JsonObj | None:
    tools = [t.get("function") for t in body.get("tools") or [] if isinstance(t, dict)]
    tools = [t for t in tools if isinstance(t, dict) and t.get("name")]
    choice = body.get("tool_choice", "auto")
    if not tools or choice == "none":
        return None
    if isinstance(choice, dict):
        wanted = (choice.get("function") or {}).get("name")
        for tool in tools:
            if tool["name"] == wanted:
                return tool
        raise ValueError(f"tool_choice names unknown tool {wanted!r}")
    return tools[0]


def _structured(response_format: Any, text: str) -> str | None:
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_object":
        return json.dumps({"echo": text})
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return json.dumps(sample_schema(schema, text))
    return None


def sample_schema(schema: JsonObj, text: str, depth: int = 0) -> Any:
    """A deterministic value that satisfies simple JSON schemas (types, enum, properties, items)."""
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        if depth > 5:
            return {}
        props = schema.get("properties") or {}
        return {name: sample_schema(sub, text, depth + 1) for name, sub in props.items() if isinstance(sub, dict)}
    if kind == "array":
        items = schema.get("items")
        return [sample_schema(items, text, depth + 1)] if isinstance(items, dict) and depth <= 5 else []
    return {"integer": word_count(text), "number": float(word_count(text)), "boolean": True, "null": None}.get(
        kind, text
    )


def _choice_tokens(choice: PlannedChoice) -> int:
    if choice.tool_call is not None:
        return word_count(choice.tool_call.arguments)
    return word_count(choice.content or "")


USAGE_DETAILS = ("cached_tokens", "reasoning_tokens", "cache_write_tokens", "audio_input_tokens", "image_input_tokens",
                 "audio_output_tokens", "image_output_tokens")


def usage(prompt_tokens: int, completion_tokens: int, details: dict[str, int] | None = None) -> JsonObj:
    """OpenAI's usage object; image tokens (gpt-image) and cache creation (Anthropic, as litellm renders it) only
    when set, as those upstreams send them."""
    details = details or {}
    body: JsonObj = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": details.get("cached_tokens", 0),
                                  "audio_tokens": details.get("audio_input_tokens", 0)},
        "completion_tokens_details": {"reasoning_tokens": details.get("reasoning_tokens", 0),
                                      "audio_tokens": details.get("audio_output_tokens", 0)},
    }
    if "image_input_tokens" in details:
        body["prompt_tokens_details"]["image_tokens"] = details["image_input_tokens"]
    if "image_output_tokens" in details:
        body["completion_tokens_details"]["image_tokens"] = details["image_output_tokens"]
    if "cache_write_tokens" in details:
        body["cache_creation_input_tokens"] = details["cache_write_tokens"]
    return body


def completion_body(plan: ChatPlan) -> JsonObj:
    choices = []
    for index, choice in enumerate(plan.choices):
        message: JsonObj = {"role": "assistant", "content": choice.content, "refusal": None}
        if choice.tool_call is not None:
            message["tool_calls"] = [_tool_call_json(choice.tool_call)]
        choices.append({"index": index, "message": message, "logprobs": None, "finish_reason": choice.finish_reason})
    return {
        "id": plan.id,
        "object": "chat.completion",
        "created": plan.created,
        "model": plan.model,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        "usage": usage(plan.prompt_tokens, plan.completion_tokens, plan.details),
    }


def _tool_call_json(call: ToolCall) -> JsonObj:
    return {"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}}


def stream_events(plan: ChatPlan, include_usage: bool, chunk_size: int | None) -> list[JsonObj]:
    """The ``chat.completion.chunk`` objects OpenAI would send, in order (without the final ``[DONE]``)."""
    extra: JsonObj = {"usage": None} if include_usage else {}
    events: list[JsonObj] = []
    for index, choice in enumerate(plan.choices):
        for delta, finish in _choice_deltas(choice, chunk_size):
            events.append(
                _chunk(plan, [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish}], extra)
            )
    if include_usage:
        totals = usage(plan.prompt_tokens, plan.completion_tokens, plan.details)
        events.append(_chunk(plan, [], {"usage": totals}))
    return events


def _choice_deltas(choice: PlannedChoice, chunk_size: int | None) -> list[tuple[JsonObj, str | None]]:
    call = choice.tool_call
    if call is not None:
        head = {"index": 0, "id": call.id, "type": "function", "function": {"name": call.name, "arguments": ""}}
        deltas: list[tuple[JsonObj, str | None]] = [
            ({"role": "assistant", "content": None, "tool_calls": [head]}, None)
        ]
        for piece in split_text(call.arguments, chunk_size or 8):
            deltas.append(({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, None))
    else:
        deltas = [({"role": "assistant", "content": "", "refusal": None}, None)]
        deltas += [({"content": piece}, None) for piece in split_text(choice.content or "", chunk_size)]
    deltas.append(({}, choice.finish_reason))
    return deltas


def split_text(text: str, chunk_size: int | None) -> list[str]:
    """Pieces whose concatenation is exactly ``text``: ``chunk_size`` characters each, or one word each."""
    if chunk_size is not None and chunk_size > 0:
        return [text[i : i + chunk_size] for i in range(0, len(text), chunk_size)]
    return _PIECE_RE.findall(text)


def _chunk(plan: ChatPlan, choices: list[JsonObj], extra: JsonObj) -> JsonObj:
    return {
        "id": plan.id,
        "object": "chat.completion.chunk",
        "created": plan.created,
        "model": plan.model,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
        **extra,
    }


def embeddings_body(body: JsonObj) -> JsonObj:
    raw = body.get("input")
    inputs = [raw] if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)) else raw
    if not isinstance(inputs, list) or not inputs:
        raise ValueError(f"embeddings input must be a string or a non-empty list, got {raw!r}")
    dims = int(body.get("dimensions") or EMBEDDING_DIMS)
    as_base64 = body.get("encoding_format") == "base64"
    data, tokens = [], 0
    for index, item in enumerate(inputs):
        text = item if isinstance(item, str) else " ".join(str(t) for t in item)
        tokens += word_count(text) if isinstance(item, str) else len(item)
        vector = embed(text, dims)
        encoded: Any = base64.b64encode(struct.pack(f"<{dims}f", *vector)).decode() if as_base64 else vector
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": str(body.get("model", "")),
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def embed(text: str, dims: int) -> list[float]:
    """A unit vector derived from the text's hash: same text, same vector."""
    stream = b""
    counter = 0
    while len(stream) < dims:
        stream += hashlib.sha256(f"{counter}:{text}".encode()).digest()
        counter += 1
    values = [(b - 127.5) / 127.5 for b in stream[:dims]]
    norm = sum(v * v for v in values) ** 0.5 or 1.0
    return [v / norm for v in values]


def models_body(model_ids: list[str]) -> JsonObj:
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": 1700000000, "owned_by": "fake-upstream"} for m in model_ids],
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
