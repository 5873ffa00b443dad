"""Streams sent as they are (no stream guard) go out one write per upstream read: the events of one read together,
and never one held back while the upstream is still thinking."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import orjson
import pytest

from gateway.pipeline.streaming import SseStream
from gateway.providers.base import ChunkStream
from tests.gateway.conftest import GatewayFactory
from tests.support.raw_upstream import RawUpstream, SeenRequest, chunked


def _event(content: str | None = None, *, role: bool = False, finish: str | None = None) -> bytes:
    delta: dict[str, Any] = {"role": "assistant"} if role else {}
    if content is not None:
        delta["content"] = content
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m",
             "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + orjson.dumps(chunk) + b"\n\n"


class _Upstream:
    """A raw upstream that sends the role and two deltas in one write, then waits until the test says the
    client has them, then sends the rest."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.go_on = asyncio.Event()
        self.server = RawUpstream(self._answer)
        self.url = ""

    async def _answer(self, request: SeenRequest, writer: asyncio.StreamWriter) -> bool:
        head, parts, end = chunked(_event("", role=True) + _event("Hel") + _event("lo"),
                                   _event(" world") + _event(finish="stop") + b"data: [DONE]\n\n")
        writer.write(head + parts[0])
        await writer.drain()
        await asyncio.wait_for(self.go_on.wait(), 10)
        writer.write(parts[1] + end)
        await writer.drain()
        return True

    def release(self) -> None:
        self.loop.call_soon_threadsafe(self.go_on.set)


@pytest.fixture()
def held_upstream() -> Iterator[_Upstream]:
    up = _Upstream()
    thread = threading.Thread(target=up.loop.run_forever, daemon=True)
    thread.start()
    up.url = asyncio.run_coroutine_threadsafe(up.server.start(), up.loop).result(10)
    try:
        yield up
    finally:
        up.release()
        asyncio.run_coroutine_threadsafe(up.server.stop(), up.loop).result(10)
        up.loop.call_soon_threadsafe(up.loop.stop)
        thread.join(10)


def test_events_of_one_read_are_not_held_while_the_upstream_thinks(make_gateway: GatewayFactory,
                                                                   held_upstream: _Upstream) -> None:
    config = {"model_list": [{"model_name": "m", "litellm_params": {
        "model": "openai/m", "api_base": held_upstream.url + "/v1", "api_key": "sk-upstream"}}]}
    with make_gateway(config, {"alpha": {}}) as gw:
        seen: list[str] = []
        stream = gw.client().chat.completions.create(model="m", messages=[{"role": "user", "content": "hi"}],
                                                      stream=True)
        for chunk in stream:
            if chunk.choices and chunk.choices[0].delta.content:
                seen.append(chunk.choices[0].delta.content)
            if "".join(seen) == "Hello":
                # Both deltas of the first read reached the client while the upstream still holds the rest:
                # nothing was kept back waiting for its next read.
                held_upstream.release()
        assert seen == ["Hel", "lo", " world"]
        assert held_upstream.go_on.is_set()


class _Stream(ChunkStream):
    """Three reads: two events, one, and two."""

    reads = ((b"a", b"b"), (b"c",), (b"d", b"e"))

    def __init__(self) -> None:
        self.closed = False

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        raise NotImplementedError  # the body below stands for the pipeline's reading of this stream
        yield {}

    async def aclose(self) -> None:
        self.closed = True

    async def body(self) -> AsyncIterator[bytes]:
        try:
            for read in self.reads:
                for i, event in enumerate(read):
                    self.pending = len(read) - i - 1
                    yield event
        finally:
            self.closed = True


async def _collect(stream: SseStream) -> list[bytes]:
    return [piece async for piece in stream]


@pytest.mark.parametrize("relays", [True, False])
def test_a_relaying_body_is_sent_a_read_at_a_time_and_a_guarded_one_event_by_event(relays: bool) -> None:
    upstream = _Stream()
    stream = SseStream(None, None, upstream, upstream.body(), relays=relays)  # type: ignore[arg-type]
    sent = asyncio.run(_collect(stream.batched()))
    assert sent == ([b"ab", b"c", b"de"] if relays else [b"a", b"b", b"c", b"d", b"e"])
    assert upstream.closed
    # An adapter reads the stream itself: one event per item, whatever the flag.
    again = _Stream()
    assert asyncio.run(_collect(SseStream(None, None, again, again.body(), relays=True))) == [  # type: ignore[arg-type]
        b"a", b"b", b"c", b"d", b"e"]
