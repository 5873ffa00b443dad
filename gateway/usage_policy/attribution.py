"""AI-generated content marking: a metadata field, and a visible notice in the answer's language (streams too)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from gateway.providers.base import ChunkStream
from gateway.usage_policy.config import AttributionConfig
from guardrails.pii.language import detect_language

AI_HEADER = "x-warden-ai-generated"
FINISHED_TEXT = ("stop", "length")
"""A notice goes after a text answer only (not after tool calls or a filtered answer)."""


def notice_for(config: AttributionConfig, answer: str) -> str:
    language = detect_language(answer, default="en")
    return config.notices.get(language) or config.notices.get("en") or next(iter(config.notices.values()), "")


def mark_body(config: AttributionConfig, body: dict[str, Any], extra: dict[str, object]) -> list[str]:
    """Mark a chat completion in place; returns each choice's text as the caller receives it."""
    metadata = {**(body.get("metadata") or {}), **extra}
    if config.metadata:
        metadata["ai_generated"] = "true"
    if metadata:
        body["metadata"] = metadata
    texts = []
    for choice in body.get("choices") or ():
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict) or not isinstance(message.get("content"), str):
            continue
        if config.notice and message["content"] and choice.get("finish_reason") in FINISHED_TEXT:
            message["content"] += notice_for(config, message["content"])
        texts.append(message["content"])
    return texts


class MarkedStream(ChunkStream):
    """The upstream's chunks with the notice appended to each choice's last text delta; `on_end` gets the answer."""

    def __init__(self, inner: ChunkStream, config: AttributionConfig, extra: dict[str, object],
                 on_end: Callable[[list[str]], Awaitable[None]] | None) -> None:
        self._inner, self._config, self._extra, self._on_end = inner, config, extra, on_end

    def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        return self._relay()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def _relay(self) -> AsyncIterator[dict[str, Any]]:
        texts: dict[int, str] = {}
        async for chunk in self._inner:
            for choice in chunk.get("choices") or ():
                index = int(choice.get("index") or 0)
                delta = choice.get("delta") or {}
                if isinstance(delta.get("content"), str):
                    texts[index] = texts.get(index, "") + delta["content"]
                if choice.get("finish_reason") is not None:
                    self._finish(chunk, choice, texts, index)
            yield chunk
        if self._on_end is not None:
            await self._on_end([texts[i] for i in sorted(texts)])

    def _finish(self, chunk: dict[str, Any], choice: dict[str, Any], texts: dict[int, str], index: int) -> None:
        metadata = dict(self._extra)
        if self._config.metadata:
            metadata["ai_generated"] = "true"
        if metadata:
            chunk["metadata"] = {**(chunk.get("metadata") or {}), **metadata}
        answer = texts.get(index, "")
        if self._config.notice and answer and choice.get("finish_reason") in FINISHED_TEXT:
            notice = notice_for(self._config, answer)
            delta = choice.setdefault("delta", {})
            delta["content"] = (delta.get("content") or "") + notice
            texts[index] = answer + notice
