"""The Messages request as Anthropic deployments receive it: the client's own body (prompt caching, extended
thinking, `top_k`, thinking blocks and their signatures in the history), with what the pipeline did to its chat
translation carried back into it.

The pipeline's steps read and rewrite the chat translation (`anthropic_shapes.chat_body`): input guardrails mask
its texts, a stored prompt prepends its messages and sets its parameters. At call time the chat messages are
walked in the translation's order next to the Anthropic blocks they came from, and any text that changed is
written into its block; an unchanged text leaves its block exactly as the client sent it. Only the top-level
fields below go upstream (an allow-list), and only blocks the request model accepted.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import orjson

from gateway.api.anthropic_shapes import MessagesRequest
from gateway.pipeline.context import NativeRequest

NATIVE_FIELDS = ("max_tokens", "messages", "system", "stop_sequences", "temperature", "top_p", "top_k", "tools",
                 "tool_choice", "thinking", "service_tier")
_BETA = re.compile(r"[a-z0-9-]{1,64}(\s*,\s*[a-z0-9-]{1,64}){0,15}")
Json = dict[str, Any]


def native_request(raw: bytes, request: MessagesRequest, translated: list[Json], beta: str | None) -> NativeRequest:
    """`translated`: the chat messages `anthropic_shapes.chat_body` made of `request`."""
    data = orjson.loads(raw)
    body: Json = {k: data[k] for k in NATIVE_FIELDS if k in data}
    if request.metadata is not None and request.metadata.user_id:
        body["metadata"] = {"user_id": request.metadata.user_id}
    # Beta feature names only (`prompt-caching-2024-07-31`...): anything else in the header stays here.
    headers = (("anthropic-beta", beta),) if beta and _BETA.fullmatch(beta) else ()

    def build(payload: Json) -> Json:
        return native_body(body, translated, payload)

    return NativeRequest("anthropic_messages", build, headers)


def native_body(original: Json, translated: list[Json], payload: Json) -> Json:
    """`original` with the texts of the chat `payload` (as it goes upstream) wherever they differ from
    `translated`, the stored prompt's messages first, and the parameters the pipeline settled."""
    body = copy.deepcopy(original)
    current: list[Json] = list(payload.get("messages") or [])
    offset = max(0, len(current) - len(translated))  # a stored prompt's rendered messages come first
    _write_back(body, translated, current[offset:])
    _prepend(body, current[:offset])
    for name, native in (("max_tokens", "max_tokens"), ("temperature", "temperature"), ("top_p", "top_p"),
                         ("stop", "stop_sequences")):
        if name in payload:
            body[native] = payload[name]
    body["stream"] = bool(payload.get("stream"))
    return body


def _write_back(body: Json, translated: list[Json], current: list[Json]) -> None:
    """Walks the blocks in `anthropic_shapes`' translation order, one chat message after another."""
    pairs = iter(zip(translated, current, strict=False))
    if body.get("system"):
        before, after = next(pairs)
        if after.get("content") != before.get("content"):
            body["system"] = _spread(_text(after), body["system"], "\n\n")
    for message in body.get("messages") or ():
        content = message.get("content")
        if isinstance(content, str):
            before, after = next(pairs)
            if after.get("content") != before.get("content"):
                message["content"] = _text(after)
        elif message.get("role") == "assistant":
            message["content"] = _assistant(content, *next(pairs))
        else:
            message["content"] = _user(content, pairs)


def _user(content: list[Json], pairs: Any) -> list[Json]:
    for block in content:
        if block.get("type") == "tool_result":
            before, after = next(pairs)
            if after.get("content") != before.get("content"):
                text = _text(after)
                text = text.removeprefix("Error: ") if block.get("is_error") else text
                block["content"] = _spread(text, block.get("content", ""), "\n")
    # The user message's parts, in the translation's order: text and images, and the images of a tool result.
    parts: list[Json] = []
    for block in content:
        if block.get("type") in ("text", "image"):
            parts.append(block)
        elif block.get("type") == "tool_result" and isinstance(block.get("content"), list):
            parts.extend(part for part in block["content"] if part.get("type") == "image")
    if not parts:
        return content
    before, after = next(pairs)
    old, new = before.get("content") or [], after.get("content") or []
    for block, was, now in zip(parts, old, new, strict=False):
        if block.get("type") == "text" and isinstance(now, dict) and now.get("text") != was.get("text"):
            block["text"] = now.get("text")
    return content


def _assistant(content: list[Json], before: Json, after: Json) -> list[Json]:
    if after.get("content") != before.get("content"):
        content = _spread(_text(after), content, "")
    uses = [b for b in content if b.get("type") == "tool_use"]
    for block, was, now in zip(uses, before.get("tool_calls") or (), after.get("tool_calls") or (), strict=False):
        arguments = now["function"]["arguments"]
        if arguments != was["function"]["arguments"]:
            block["input"] = orjson.loads(arguments)
    return content


def _spread(text: str, content: str | list[Json], separator: str) -> str | list[Json]:
    """`text` (the masked join of the text blocks of `content`) written back into those blocks: one per piece
    when the separator still splits it so, else all of it in the first and the other text blocks left out
    (nothing unmasked may stay)."""
    if isinstance(content, str):
        return text
    blocks = [b for b in content if b.get("type") == "text"]
    pieces = text.split(separator) if separator else [text]
    if len(pieces) != len(blocks):
        pieces = [text] + [""] * (len(blocks) - 1)
    for block, piece in zip(blocks, pieces, strict=True):
        block["text"] = piece
    return [b for b in content if b.get("type") != "text" or b["text"]]


def _prepend(body: Json, rendered: list[Json]) -> None:
    system = [_text(m) for m in rendered if m.get("role") in ("system", "developer")]
    if system:
        blocks = [{"type": "text", "text": t} for t in system]
        existing = body.get("system")
        extra = [{"type": "text", "text": existing}] if isinstance(existing, str) else list(existing or [])
        body["system"] = blocks + extra
    turns = [{"role": m["role"], "content": _text(m)} for m in rendered if m.get("role") in ("user", "assistant")]
    if turns:
        body["messages"] = turns + list(body.get("messages") or [])


def _text(message: Json) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(p.get("text", "") for p in content or () if isinstance(p, dict) and p.get("type") == "text")
