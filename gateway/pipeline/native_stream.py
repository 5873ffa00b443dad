"""A native stream (Anthropic's Messages events, the Responses API's events) relayed to the client event by event,
with the output guardrails on its text and its usage row written when it ends.

Text deltas go through the same `StreamGuard` as a chat stream (held to a sentence boundary, checked, masked or
blocked, placeholders restored) and come out as text deltas of the same block; every other event (thinking and
its signature, tool input, reasoning items, built-in tool items) passes as the upstream sent it. The Responses
API repeats the whole text in its closing events: those carry the text as released, never the upstream's."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import orjson

from gateway.errors import GuardrailViolation, UpstreamError, WardenError
from gateway.pipeline.call_provider import account
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.pipeline.record_usage import record_usage
from gateway.pipeline.stream_guard import StreamGuard
from gateway.pipeline.streaming import SseStream, close_soon, shutdown_error
from gateway.providers.base import NativeStream, ProviderError, usage_of
from gateway.providers.cost import token_details
from gateway.providers.native_http import openai_usage

if TYPE_CHECKING:
    from gateway.state import Gateway

Key = tuple[int, int]
"""Where a text is: (block index, 0) for Anthropic, (output index, content index) for a Response."""


def native_sse(gw: Gateway, ctx: RequestContext, upstream: NativeStream, guard: StreamGuard,
               keep_answer: bool) -> SseStream:
    return SseStream(gw, ctx, upstream, _Relay(gw, ctx, upstream, guard, keep_answer).events(), upstream.api,
                     relays=not guard.active)


class _Relay:
    def __init__(self, gw: Gateway, ctx: RequestContext, upstream: NativeStream, guard: StreamGuard,
                 keep_answer: bool) -> None:
        self._gw, self._ctx, self._upstream, self._guard = gw, ctx, upstream, guard
        self._anthropic = upstream.api == "anthropic_messages"
        self._keep = keep_answer
        self._slots: dict[Key, int] = {}
        self._released: dict[Key, str] = {}
        self._usage: dict[str, Any] = {}
        self._sequence = 0
        self._chars = 0

    async def events(self) -> AsyncIterator[bytes]:
        gw, ctx = self._gw, self._ctx
        gw.drain.track(ctx, self._upstream)
        try:
            async for event in self._upstream:
                self._note_usage(event)
                for out in await self._relay(event):
                    yield self._sse(out)
                if self._chars and ctx.first_chunk_at is None:
                    ctx.first_chunk_at = time.perf_counter()  # time to first token
            if gw.drain.was_cut(ctx):
                yield self._error(shutdown_error(ctx))
        except ProviderError as exc:
            cut = gw.drain.was_cut(ctx)
            yield self._error(shutdown_error(ctx) if cut else UpstreamError(f"the upstream stream failed: {exc.message}"))
        except GuardrailViolation as exc:
            ctx.status = "blocked"
            yield self._error(exc)
        except WardenError as exc:
            yield self._error(exc)
        except BaseException as exc:  # the client went away (cancelled) or the server is stopping
            ctx.fail(exc)
            raise
        finally:
            gw.drain.untrack(ctx)
            ctx.verdicts.extend(self._guard.verdicts.values())
            self._finish()

    async def _relay(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event["type"]
        if not self._guard.active:
            self._count(event)
            return [event]
        if self._anthropic and kind == "content_block_delta" and (event.get("delta") or {}).get("type") == "text_delta":
            return await self._feed(event, (int(event.get("index") or 0), 0), event["delta"].get("text") or "")
        if not self._anthropic and kind == "response.output_text.delta":
            return await self._feed(event, _where(event), str(event.get("delta") or ""))
        if self._anthropic and kind == "content_block_stop":
            return [*await self._flush(event, (int(event.get("index") or 0), 0)), event]
        if kind == "response.output_text.done":
            return [*await self._flush(event, _where(event)), self._patched(event)]
        return [self._patched(event)]

    async def _feed(self, event: dict[str, Any], key: Key, text: str, final: bool = False) -> list[dict[str, Any]]:
        slot = self._slots.setdefault(key, len(self._slots))
        chunk = {"choices": [{"index": slot, "delta": {"content": text} if text else {},
                              "finish_reason": "stop" if final else None}]}
        out = []
        async for released in self._guard.run(_one(chunk)):
            for choice in released.get("choices") or ():
                piece = (choice.get("delta") or {}).get("content")
                if isinstance(piece, str) and piece:
                    self._released[key] = self._released.get(key, "") + piece
                    self._chars += len(piece)
                    out.append(self._delta(event, piece))
        return out

    async def _flush(self, event: dict[str, Any], key: Key) -> list[dict[str, Any]]:
        if key not in self._slots:
            return []
        return await self._feed(event, key, "", final=True)

    def _delta(self, event: dict[str, Any], text: str) -> dict[str, Any]:
        if self._anthropic:
            return {"type": "content_block_delta", "index": event.get("index", 0),
                    "delta": {"type": "text_delta", "text": text}}
        fields = {k: event[k] for k in ("item_id", "output_index", "content_index") if k in event}
        return {"type": "response.output_text.delta", **fields, "delta": text, "logprobs": []}

    def _patched(self, event: dict[str, Any]) -> dict[str, Any]:
        """A closing Responses event with the texts as the client received them."""
        if self._anthropic or not self._released:
            return event
        event = orjson.loads(orjson.dumps(event))
        if event["type"] == "response.output_text.done":
            event["text"] = self._released.get(_where(event), "")
        elif event["type"] == "response.content_part.done" and isinstance(event.get("part"), dict):
            _set_text(event["part"], self._released.get(_where(event)))
        elif event["type"] == "response.output_item.done" and isinstance(event.get("item"), dict):
            self._patch_item(int(event.get("output_index") or 0), event["item"])
        elif isinstance(event.get("response"), dict):
            for index, item in enumerate(event["response"].get("output") or ()):
                if isinstance(item, dict):
                    self._patch_item(index, item)
        return event

    def _patch_item(self, index: int, item: dict[str, Any]) -> None:
        for position, part in enumerate(item.get("content") or ()):
            if isinstance(part, dict):
                _set_text(part, self._released.get((index, position)))

    def _count(self, event: dict[str, Any]) -> None:
        delta = event.get("delta")
        text = delta.get("text") if isinstance(delta, dict) else delta
        if isinstance(text, str):
            self._chars += len(text)

    def _note_usage(self, event: dict[str, Any]) -> None:
        found = (event.get("message") or {}).get("usage") if event["type"] == "message_start" else event.get("usage")
        if isinstance(event.get("response"), dict):
            found = event["response"].get("usage") or found
        if isinstance(found, dict):
            self._usage.update({k: v for k, v in found.items() if v is not None})

    def _sse(self, event: dict[str, Any]) -> bytes:
        if not self._anthropic:
            event = {**event, "sequence_number": self._sequence}
            self._sequence += 1
        if self._keep and event.get("type") in ("content_block_delta", "response.output_text.delta"):
            piece = event["delta"].get("text") if self._anthropic else event["delta"]
            if isinstance(piece, str):
                self._ctx.answer_texts[:] = ["".join(self._ctx.answer_texts) + piece]
        return b"event: " + event["type"].encode() + b"\ndata: " + orjson.dumps(event) + b"\n\n"

    def _error(self, exc: WardenError) -> bytes:
        if self._ctx.status != "shutdown":
            self._ctx.fail(exc)
        code = exc.code or "error"
        if self._anthropic:
            kind = "invalid_request_error" if isinstance(exc, GuardrailViolation) else "api_error"
            return self._sse({"type": "error", "error": {"type": kind, "message": exc.message}})
        error = {"message": exc.message, "type": "invalid_request_error" if exc.status < 500 else "api_error",
                 "param": exc.param, "code": code}
        return self._sse({"type": "error", "code": code, "message": exc.message, "param": exc.param, "error": error})

    def _finish(self) -> None:
        ctx = self._ctx
        close_soon(self._upstream)
        if ctx.upstream_started is not None:
            ctx.upstream_ms = (time.perf_counter() - ctx.upstream_started) * 1000
        usage = openai_usage(self._upstream.api, self._usage)
        prompt, completion = usage_of({"usage": usage})
        if prompt or completion:
            account(ctx, prompt, completion, token_details(usage))
        else:  # cut or cancelled before the upstream said: count what was produced
            account(ctx, estimate_prompt_tokens(ctx.request), (self._chars + 3) // 4)
        record_usage(self._gw, ctx)


async def _one(chunk: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield chunk


def _where(event: dict[str, Any]) -> Key:
    return int(event.get("output_index") or 0), int(event.get("content_index") or 0)


def _set_text(part: dict[str, Any], text: str | None) -> None:
    if text is not None and part.get("type") == "output_text":
        part["text"] = text
