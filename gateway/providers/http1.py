"""One keep-alive HTTP/1.1 connection to an upstream: an asyncio protocol that writes a request and reads its answer
with httptools (llhttp, the parser uvicorn serves Warden with).

Why Warden has a client of its own: once the gateway's own frames were trimmed, aiohttp's client was the largest
single cost left on the chat path (~20% of py-spy samples under load, issue 19). What an upstream call needs is
small: one write, one parse, one wake-up of the waiting task per read, one timer per request. The pool
(`http1_pool.py`) hands connections out, sets their time limits and takes them back.

- One request at a time per connection, no pipelining.
- The answer's head is awaited (`head`), then its body read whole (`read`) or as it arrives (`next_bytes`),
  decoded (gzip, deflate) on the way in. A stream's unread bytes past 1 MiB pause reading until they are taken.
- Time limits cost one timer per request, not one per read: a whole request has a deadline; a stream has an idle
  limit on each wait for more bytes, checked when the timer fires and re-armed from the last activity.
- A reused connection that closes before the first byte of its answer (the server dropped it while it sat idle in
  the pool: a race no keep-alive client avoids) fails with `HttpGone.stale` set, and the pool sends the request
  again on a fresh connection.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable
from typing import NamedTuple, cast

import httptools

from gateway.providers.content_coding import Decoder, decoder_for

_PAUSE_AT = 1 << 20
"""Unread bytes of a stream past which the socket is not read (the reader is slower than the upstream)."""


class Origin(NamedTuple):
    scheme: str
    host: str
    port: int


class HttpTimeout(Exception):
    """No answer, or no more of one, within the time allowed."""


class HttpGone(Exception):
    """The connection failed or closed before the answer was complete, or the answer was not HTTP."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale
        """A reused connection closed before any byte of the answer: the request may go again on a fresh one."""


class Http1Connection(asyncio.Protocol):
    __slots__ = (
        "_buffered", "_busy", "_chunks", "_complete", "_deadline", "_decoder", "_eof_body", "_error", "_extra",
        "_head_done", "_idle", "_loop", "_on_end", "_parser", "_paused", "_raw", "_received", "_timer", "_touched",
        "_transport", "_waiter", "_whole", "closed", "headers", "idle_since", "keep_alive", "origin", "sent",
        "status",
    )
    status: int
    headers: dict[str, str]
    keep_alive: bool
    _busy: bool
    _raw: list[tuple[bytes, bytes]]
    _head_done: bool
    _complete: bool
    _eof_body: bool
    _received: bool
    _extra: bool
    _whole: bool
    _paused: bool
    _chunks: list[bytes]
    _buffered: int
    _decoder: Decoder | None
    _error: Exception | None
    _waiter: asyncio.Future[None] | None
    _on_end: Callable[[Http1Connection], None] | None
    _deadline: float | None
    _idle: float | None
    _touched: float

    def __init__(self, loop: asyncio.AbstractEventLoop, origin: Origin) -> None:
        self.origin = origin
        self.closed = False
        self.sent = 0
        """Requests written on this connection: past the first, it is a reused one."""
        self.idle_since = 0.0
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._timer: asyncio.TimerHandle | None = None
        self._start(None, None)
        self._busy = False

    # The request side: the pool and the response call these.

    def send(self, data: bytes, deadline: float | None, idle: float | None) -> None:
        """Write one request. Either `deadline` (loop time) bounds the whole answer, or `idle` (seconds) each wait
        for more of it."""
        reused = self.sent > 0
        self.sent += 1
        self._start(deadline, idle)
        transport = self._transport
        if self.closed or transport is None or transport.is_closing():
            raise HttpGone("the connection closed while idle in the pool", stale=reused)
        transport.write(data)
        self._arm()

    async def head(self) -> None:
        while not self._head_done:
            await self._wait()

    async def read(self) -> bytes:
        """The whole (decoded) body."""
        self._whole = True
        if self._paused:
            self._resume()
        while not self._complete:
            await self._wait()
        chunks = self._chunks
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def next_bytes(self) -> bytes | None:
        """The body's bytes received since the last call (decoded), or None once it is complete."""
        while not self._chunks:
            if self._complete:
                return None
            await self._wait()
        chunks, self._chunks, self._buffered = self._chunks, [], 0
        if self._paused:
            self._resume()
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    def after_end(self, settle: Callable[[Http1Connection], None], within: float) -> None:
        """Call `settle` once the answer is complete: now, or when the body's last bytes arrive, which may trail a
        stream's last event by a packet. Not complete within `within` seconds, the connection is closed."""
        if self._complete or self._error is not None or self.closed:
            settle(self)
            return
        self._on_end = settle
        self._idle, self._deadline = None, self._loop.time() + within
        self._cancel_timer()
        self._arm()

    @property
    def reusable(self) -> bool:
        return (self._complete and self.keep_alive and not self._extra and not self.closed
                and self._error is None)

    def shelve(self, now: float) -> None:
        """Idle in the pool from `now`: the finished answer's buffers are let go."""
        self._busy = False
        self.idle_since = now
        self._chunks, self._raw, self.headers = [], [], {}
        if self._paused:
            self._resume()

    def abort(self) -> None:
        self.closed = True
        self._cancel_timer()
        if self._transport is not None:
            self._transport.abort()

    # The transport's side.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not asyncio's classes

    def data_received(self, data: bytes) -> None:
        if not self._busy:
            # An idle connection has nothing to say: whatever it sent would be read as the next request's answer.
            self.abort()
            return
        self._received = True
        if self._idle is not None:
            self._touched = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(HttpGone(f"the answer is not valid HTTP/1.1: {exc}"))
            self.abort()

    def eof_received(self) -> bool | None:
        return None  # close our side too: a half-closed upstream answers nothing more

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._cancel_timer()
        if not self._busy or self._complete:
            return
        if self._head_done and self._eof_body and exc is None:
            self._finish_message()  # a body without length or chunks ends with the connection
            return
        reason = f": {exc}" if exc is not None else ""
        if not self._received:
            self._fail(HttpGone(f"the connection closed before the answer began{reason}", stale=self.sent > 1))
        else:
            self._fail(HttpGone(f"the connection closed mid-answer{reason}"))

    # httptools' callbacks.

    def on_message_begin(self) -> None:
        if self._complete:
            self._extra = True  # bytes past the answer: the connection cannot be trusted with another

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._complete:
            self._raw.append((name, value))

    def on_headers_complete(self) -> None:
        if self._complete:
            return
        status = self._parser.get_status_code()
        if status < 200:  # informational (100 Continue, 103 Early Hints): the answer itself follows
            self._raw = []
            return
        headers: dict[str, str] = {}
        for name, value in self._raw:
            key, text = name.decode("latin-1").lower(), value.decode("latin-1")
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        self.status, self.headers = status, headers
        self.keep_alive = self._parser.should_keep_alive()
        self._eof_body = ("content-length" not in headers
                          and "chunked" not in headers.get("transfer-encoding", "").lower())
        self._decoder = decoder_for(headers.get("content-encoding"))
        self._head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._complete or self._error is not None:
            return
        if self._decoder is not None:
            try:
                body = self._decoder.decompress(body)
            except zlib.error as exc:
                self._fail(HttpGone(f"the answer's {self.headers.get('content-encoding')!r} body does not decode: "
                                    f"{exc}"))
                self.abort()
                return
        if not body:
            return
        self._chunks.append(body)
        if not self._whole:
            self._buffered += len(body)
            if self._buffered > _PAUSE_AT and not self._paused and self._transport is not None:
                self._paused = True
                self._transport.pause_reading()
            self._wake()

    def on_message_complete(self) -> None:
        if self._head_done and not self._complete:  # (else the end of an informational answer)
            self._finish_message()

    # Internals.

    def _start(self, deadline: float | None, idle: float | None) -> None:
        self._cancel_timer()
        self.status, self.headers, self.keep_alive = 0, {}, False
        self._busy = True
        self._raw = []
        self._head_done = self._complete = self._eof_body = self._received = self._extra = False
        self._whole = self._paused = False
        self._chunks = []
        self._buffered = 0
        self._decoder = None
        self._error = None
        self._waiter = None
        self._on_end = None
        self._deadline, self._idle = deadline, idle
        self._touched = self._loop.time() if idle is not None else 0.0

    async def _wait(self) -> None:
        if self._error is not None:
            raise self._error
        waiter = self._waiter = self._loop.create_future()
        if self._idle is not None:
            self._touched = self._loop.time()  # the idle clock restarts with each wait
            if self._timer is None:
                self._arm()
        try:
            await waiter
        finally:
            self._waiter = None
        if self._error is not None:
            raise self._error

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _finish_message(self) -> None:
        if self._decoder is not None:
            try:
                tail = self._decoder.flush()
            except zlib.error as exc:
                self._fail(HttpGone(f"the answer's compressed body is cut short: {exc}"))
                self.abort()
                return
            if tail:
                self._chunks.append(tail)
        self._complete = True
        self._cancel_timer()
        self._wake()
        self._end()

    def _fail(self, error: Exception) -> None:
        if self._error is None:
            self._error = error
        self._wake()
        self._end()

    def _end(self) -> None:
        on_end, self._on_end = self._on_end, None
        if on_end is not None:
            on_end(self)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._timer = self._loop.call_at(self._deadline, self._on_timer)
        elif self._idle is not None:
            self._timer = self._loop.call_at(self._touched + self._idle, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._complete or self._error is not None or not self._busy:
            return
        if self._idle is None:
            self._time_out("the answer was not complete by its deadline")
            return
        if self._waiter is None:
            return  # nobody is waiting: the next wait restarts the idle clock and arms the timer
        if self._loop.time() - self._touched >= self._idle:
            self._time_out(f"the upstream sent nothing for {self._idle:g}s")
        else:
            self._arm()

    def _time_out(self, message: str) -> None:
        self._fail(HttpTimeout(message))
        self.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _resume(self) -> None:
        self._paused = False
        if self._transport is not None and not self.closed:
            self._transport.resume_reading()
