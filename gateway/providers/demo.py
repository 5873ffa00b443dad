"""The local demo provider: deterministic answers, no network, no account.

It exists so a fresh install answers at once. Everything it returns says it is a demo. It honours the OpenAI
parameters the SDK exercises (n, max_tokens, tools, response_format, streaming with usage) so the whole
pipeline can be tried against it.
"""

from __future__ import annotations

import hashlib
import math
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.providers.base import ChunkStream, Completion, Deployment, Provider

DEMO_NOTE = "[Warden demo provider: deterministic local answer, no model was called]"


class DemoProvider(Provider):
    async def chat(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        prompt_tokens = _count_prompt(payload)
        choices, completion_tokens = [], 0
        for index in range(int(payload.get("n") or 1)):
            message, finish, tokens = _answer(payload, index)
            choices.append({"index": index, "message": message, "finish_reason": finish, "logprobs": None})
            completion_tokens += tokens
        body = {
            "id": f"chatcmpl-demo-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": deployment.upstream_model,
            "system_fingerprint": "warden-demo",
            "choices": choices,
            "usage": _usage(prompt_tokens, completion_tokens),
        }
        return Completion(body, prompt_tokens, completion_tokens, (time.perf_counter() - started) * 1000)

    async def stream(self, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
        return _DemoStream(deployment, payload)

    async def embed(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        raw = payload.get("input")
        texts = [raw] if isinstance(raw, str) else [str(t) for t in (raw or [])]
        dims = int(payload.get("dimensions") or 64)
        data = [{"object": "embedding", "index": i, "embedding": _vector(t, dims)} for i, t in enumerate(texts)]
        tokens = sum(len(t.split()) for t in texts)
        body = {"object": "list", "data": data, "model": deployment.upstream_model, "usage": _usage(tokens, 0)}
        return Completion(body, tokens, 0, 0.0)


class _DemoStream(ChunkStream):
    def __init__(self, deployment: Deployment, payload: dict[str, Any]) -> None:
        self._deployment = deployment
        self._payload = payload

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        payload = self._payload
        base = {"id": f"chatcmpl-demo-{uuid.uuid4().hex[:24]}", "object": "chat.completion.chunk",
                "created": int(time.time()), "model": self._deployment.upstream_model,
                "system_fingerprint": "warden-demo"}
        total = 0
        for index in range(int(payload.get("n") or 1)):
            message, finish, tokens = _answer(payload, index)
            total += tokens
            yield {**base, "choices": [{"index": index, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}]}
            if message.get("tool_calls"):
                delta = {"tool_calls": [{"index": 0, **message["tool_calls"][0]}]}
                yield {**base, "choices": [{"index": index, "delta": delta, "finish_reason": None}]}
            else:
                for piece in _pieces(message["content"]):
                    yield {**base, "choices": [{"index": index, "delta": {"content": piece}, "finish_reason": None}]}
            yield {**base, "choices": [{"index": index, "delta": {}, "finish_reason": finish}]}
        if (payload.get("stream_options") or {}).get("include_usage"):
            yield {**base, "choices": [], "usage": _usage(_count_prompt(payload), total)}

    async def aclose(self) -> None:
        return None


def _answer(payload: dict[str, Any], index: int) -> tuple[dict[str, Any], str, int]:
    tools = payload.get("tools") or []
    choice = payload.get("tool_choice")
    if tools and choice != "none":
        name = (tools[0].get("function") or tools[0].get("custom") or {}).get("name", "tool")
        if isinstance(choice, dict):
            name = choice.get("function", {}).get("name", name)
        call = {"id": f"call_demo_{index}", "type": "function",
                "function": {"name": name, "arguments": orjson.dumps({"demo": True}).decode()}}
        return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls", 8
    said = _last_user_text(payload)
    fmt = (payload.get("response_format") or {}).get("type")
    if fmt in ("json_object", "json_schema"):
        text = orjson.dumps({"demo": True, "echo": said[:200]}).decode()
    else:
        suffix = f" (choice {index + 1})" if index else ""
        text = f"{DEMO_NOTE} You said: {said[:500]}{suffix}"
    limit = payload.get("max_completion_tokens") or payload.get("max_tokens")
    words = text.split(" ")
    finish = "stop"
    if limit and len(words) > int(limit):
        words, finish = words[: int(limit)], "length"
    return {"role": "assistant", "content": " ".join(words)}, finish, len(words)


def _last_user_text(payload: dict[str, Any]) -> str:
    for message in reversed(payload.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return str(content or "")
    return ""


def _count_prompt(payload: dict[str, Any]) -> int:
    total = 0
    for message in payload.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            total += len(content.split()) + 3
        elif isinstance(content, list):
            total += sum(len(str(p.get("text", "")).split()) for p in content if isinstance(p, dict)) + 3
    return total


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [w if i == 0 else " " + w for i, w in enumerate(words)]


def _usage(prompt: int, completion: int) -> dict[str, int]:
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def _vector(text: str, dims: int) -> list[float]:
    digest = hashlib.sha256(text.encode()).digest()
    values = [((digest[i % len(digest)] + i * 31) % 255) / 127.0 - 1.0 for i in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return [v / norm for v in values]
