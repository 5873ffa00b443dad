"""A chat stream as Server-Sent Events, exactly as OpenAI sends them, with its usage row written when it
ends: normally, on an upstream cut, on a guardrail block, or when the client goes away, even before the first
byte (`SseStream.abandon`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import orjson

from gateway.errors import GuardrailViolation, ServiceUnavailable, UpstreamError, WardenError
from gateway.pipeline.call_provider import account
from gateway.pipeline.context import RequestContext
from gateway.pipeline.enforce_limits import estimate_prompt_tokens
from gateway.pipeline.record_usage import record_usage
from gateway.pipeline.returned import remember, wants_answers
from gateway.pipeline.stream_guard import StreamGuard
from gateway.providers.base import ChunkStream, NativeApi, ProviderError
from gateway.providers.cost import token_details
from gateway.schemas import ChatRequest

if TYPE_CHECKING:
    from gateway.state import Gateway

DONE = b"data: [DONE]\n\n"
_closing: set[asyncio.Task[None]] = set()


def sse(chunk: dict[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


async def sse_stream(
    gw: Gateway, ctx: RequestContext, upstream: ChunkStream, chunks: AsyncIterator[dict[str, Any]],
    guard: StreamGuard, *, keep_answer: bool = False,
) -> AsyncIterator[bytes]:
    """Relay `chunks` (the upstream's, through the stream guard) to the client and account for them."""
    assert isinstance(ctx.request, ChatRequest)
    wants_usage = ctx.request.include_usage
    usage: dict[str, Any] | None = None
    chars = 0
    last: dict[str, Any] = {}
    answer: list[str] = ctx.answer_texts if keep_answer else []
    collect = keep_answer or wants_answers(gw, ctx)
    gw.drain.track(ctx, upstream)
    try:
        async for chunk in chunks:
            last = chunk
            if chunk.get("usage"):
                usage = chunk["usage"]
                if not wants_usage:
                    if not chunk.get("choices"):
                        continue
                    chunk = {k: v for k, v in chunk.items() if k != "usage"}
            chars += _content_chars(chunk)
            if chars and ctx.first_chunk_at is None:
                ctx.first_chunk_at = time.perf_counter()
            if collect:
                _keep(answer, chunk)
            yield sse(chunk)
        if gw.drain.was_cut(ctx):
            yield _shutdown_event(ctx)
        else:
            remember(gw, ctx, answer)
            yield DONE
    except ProviderError as exc:
        if gw.drain.was_cut(ctx):
            yield _shutdown_event(ctx)
        else:
            error = UpstreamError(f"the upstream stream failed: {exc.message}")
            ctx.fail(error)
            yield _error_event(error)
    except GuardrailViolation as exc:
        # The SDK sees the answer end with `content_filter`, then an error event it raises.
        ctx.status = "blocked"
        ctx.fail(exc)
        yield sse(_filtered(last))
        yield _error_event(exc)
    except WardenError as exc:
        ctx.fail(exc)
        yield _error_event(exc)
    except (asyncio.CancelledError, GeneratorExit) as exc:
        ctx.fail(exc)
        if gw.drain.shutting_down and isinstance(exc, asyncio.CancelledError):
            ctx.status, ctx.error_type = "shutdown", "shutting_down"  # the server's grace ran out, not the client
        raise
    finally:
        gw.drain.untrack(ctx)
        ctx.verdicts.extend(guard.verdicts.values())
        _finish(gw, ctx, upstream, usage, chars)


class SseStream:
    """The body of one streamed answer. A client that hangs up before the server pulls the first chunk leaves
    the generator unstarted, so its `finally` never runs: the response calls `abandon`, which closes the
    upstream stream and writes the usage row instead."""

    def __init__(self, gw: Gateway, ctx: RequestContext, upstream: ChunkStream, body: AsyncGenerator[bytes, None],
                 api: NativeApi | None = None, *, relays: bool = False) -> None:
        self._gw, self._ctx, self._upstream, self._body = gw, ctx, upstream, body
        self._relays = relays
        """The body gives at least one event per upstream event, as it reads it (no stream guard holds text)."""
        self.started = False
        self.api = api
        """The native API whose events the body already is (None: OpenAI chat chunks)."""

    def __aiter__(self) -> AsyncIterator[bytes]:
        self.started = True
        return self._body

    def batched(self) -> SseStream:
        """The same stream for sending as it is: the events of one upstream read go out together (one write to
        the client instead of one per event). Adapters read the stream itself, one event per item."""
        if not self._relays:
            return self
        return SseStream(self._gw, self._ctx, self._upstream, _batched(self._body, self._upstream), self.api)

    def translated(self, render: Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]) -> SseStream:
        """The same stream in another API's events: `render` reads this body (an adapter's translation), and must
        read it to its end, since the body writes the usage row as it finishes."""
        return SseStream(self._gw, self._ctx, self._upstream, _rendered(self._body, render))

    async def abandon(self) -> None:
        if self.started:
            return
        self.started = True
        await self._body.aclose()  # never started: closing runs none of its code
        self._ctx.fail(asyncio.CancelledError())
        _finish(self._gw, self._ctx, self._upstream, None, 0)


async def _batched(body: AsyncGenerator[bytes, None], upstream: ChunkStream) -> AsyncGenerator[bytes, None]:
    """The body's pieces, joined while the upstream has more events of the same read to give. A piece is held only
    while the next one needs no network wait; the exception is a usage-only chunk the client did not ask for,
    which the body drops: a piece before it waits for the upstream's next read, which OpenAI sends at once
    ([DONE])."""
    held: list[bytes] = []
    try:
        async for piece in body:
            if upstream.pending:
                held.append(piece)
                continue
            if held:
                held.append(piece)
                piece = b"".join(held)
                held.clear()
            yield piece
        if held:
            yield b"".join(held)
    finally:
        await body.aclose()


async def _rendered(body: AsyncGenerator[bytes, None],
                    render: Callable[[AsyncIterator[bytes]], AsyncIterator[bytes]]) -> AsyncGenerator[bytes, None]:
    try:
        async for piece in render(body):
            yield piece
    finally:
        # Closed with the response, not when the garbage collector finds it: a client gone mid-stream gets
        # its usage row at once.
        await body.aclose()


def _finish(gw: Gateway, ctx: RequestContext, upstream: ChunkStream, usage: dict[str, Any] | None, chars: int) -> None:
    close_soon(upstream)
    if ctx.upstream_started is not None:
        ctx.upstream_ms = (time.perf_counter() - ctx.upstream_started) * 1000
    if usage is not None:
        account(ctx, int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                token_details(usage))
    else:
        # The stream ended without a usage chunk (cut or cancelled): count what was produced.
        account(ctx, estimate_prompt_tokens(ctx.request), (chars + 3) // 4)
    record_usage(gw, ctx)


def _keep(texts: list[str], chunk: dict[str, Any]) -> None:
    for choice in chunk.get("choices") or ():
        content = (choice.get("delta") or {}).get("content")
        if isinstance(content, str):
            index = int(choice.get("index") or 0)
            texts.extend([""] * (index + 1 - len(texts)))
            texts[index] += content


def _content_chars(chunk: dict[str, Any]) -> int:
    total = 0
    for choice in chunk.get("choices") or ():
        delta = choice.get("delta") or {}
        content = delta.get("content")
        if isinstance(content, str):
            total += len(content)
        for call in delta.get("tool_calls") or ():
            total += len(str((call.get("function") or {}).get("arguments") or ""))
    return total


def _filtered(last: dict[str, Any]) -> dict[str, Any]:
    base = {k: last[k] for k in ("id", "object", "created", "model", "system_fingerprint") if k in last}
    return {**base, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {}, "finish_reason": "content_filter"}]}


def _shutdown_event(ctx: RequestContext) -> bytes:
    return _error_event(shutdown_error(ctx))


def shutdown_error(ctx: RequestContext) -> WardenError:
    """A stream the server's drain cut: its row says `shutdown`, the client is told to retry."""
    error = ServiceUnavailable("the gateway is shutting down and ended this stream before the answer was complete; retry",
                               code="shutting_down")
    ctx.fail(error)
    ctx.status = "shutdown"
    return error


def _error_event(exc: WardenError) -> bytes:
    return b"data: " + exc.body() + b"\n\n"


def close_soon(upstream: ChunkStream) -> None:
    # Closing may await; inside a cancelled scope an await would be interrupted, so it runs as its own task.
    try:
        task = asyncio.get_running_loop().create_task(upstream.aclose())
    except RuntimeError:
        return
    _closing.add(task)
    task.add_done_callback(_closing.discard)
