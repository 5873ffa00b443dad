"""Warden's HTTP/1.1 client for upstream calls: keep-alive connections (`http1.py`) pooled per origin, and the one
call made through them, a POST whose answer is read whole or as a stream.

- Connections are kept per (scheme, host, port) and reused newest first (the one least likely to have been closed
  by the server's own idle timer); one idle for `idle_timeout` seconds or more is closed instead.
- `limit` bounds the connections in use at once across origins, as aiohttp's connector limit did; a request over
  it waits for one to come back, within its own time limit.
- TLS is the loop's own, with a verified default context (the system's CAs, as aiohttp used), the host as SNI
  and as the name the certificate must carry.
- A request written to a reused connection that closes before answering is sent once more on a fresh connection
  (`HttpGone.stale`): no answer began, so the upstream did not act on it.
- Left out: proxies (aiohttp was never given `trust_env`, so it ignored the proxy variables too), HTTP/2,
  redirects (a 3xx answer is returned as it is; the provider reports it), and DNS caching (a host is resolved
  once per new connection, which keep-alive makes rare).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ssl
from collections import deque
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

from gateway.providers.content_coding import ACCEPT_ENCODING
from gateway.providers.http1 import Http1Connection, HttpGone, HttpTimeout, Origin

USER_AGENT = "warden-gateway"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SET_HERE = frozenset({"host", "content-length", "transfer-encoding"})
_STREAM_TAIL_S = 1.0
"""How long a finished stream's connection may wait for its body's last bytes before it is closed, not reused."""


class Target(NamedTuple):
    """A URL as a request needs it: where to connect, what to put on the request line, and the host header."""

    origin: Origin
    path: str
    host: str
    authorization: str | None


@functools.lru_cache(maxsize=256)
def target_of(url: str) -> Target:
    """Deployment URLs are few, so each is parsed once."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise HttpGone(f"the upstream URL's scheme {scheme!r} is not http or https")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError:
        raise HttpGone(f"the upstream URL's port {parts.netloc.rpartition(':')[2]!r} is not a port") from None
    if not parts.hostname:
        raise HttpGone("the upstream URL names no host")
    host = parts.hostname.encode("idna").decode("ascii")
    shown = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        shown = f"{shown}:{port}"
    path = quote(parts.path or "/", safe="/:@!$&'()*+,;=%-._~") + (f"?{parts.query}" if parts.query else "")
    authorization = None
    if parts.username is not None:  # credentials in the URL, as aiohttp sent them: HTTP basic auth
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        authorization = "Basic " + base64.b64encode(pair).decode("ascii")
    return Target(Origin(scheme, host, port), path, shown, authorization)


def request_head(target: Target, headers: Mapping[str, str], length: int) -> bytes:
    """A POST's head: the caller's headers as given, plus host, content-length and the defaults it did not set."""
    lines = [f"POST {target.path} HTTP/1.1\r\n"]
    given = set()
    for name, value in headers.items():
        lower = name.lower()
        if "\n" in value or "\r" in value or "\n" in name or "\r" in name or ":" in name:
            raise ValueError(f"the upstream header {name!r} holds a line break or colon: {value!r}")
        given.add(lower)
        if lower in _SET_HERE and lower != "host":
            continue
        lines.append(f"{name}: {value}\r\n")
    if "host" not in given:
        lines.append(f"host: {target.host}\r\n")
    if target.authorization is not None and "authorization" not in given:
        lines.append(f"authorization: {target.authorization}\r\n")
    for name, value in (("user-agent", USER_AGENT), ("accept", "*/*"), ("accept-encoding", ACCEPT_ENCODING)):
        if name not in given:
            lines.append(f"{name}: {value}\r\n")
    lines.append(f"content-length: {length}\r\n\r\n")
    return "".join(lines).encode("utf-8")


class Http1Response:
    """An answer whose head is in. Its body is read whole (`read`) or as it arrives (`next_bytes`); its connection
    goes back to the pool once the body is complete (`read`, `release`), or is closed (`close`)."""

    __slots__ = ("_client", "_conn", "headers", "status")

    def __init__(self, client: Http1Client, conn: Http1Connection) -> None:
        self.status, self.headers = conn.status, conn.headers
        self._client: Http1Client = client
        self._conn: Http1Connection | None = conn

    async def read(self) -> bytes:
        conn = self._conn
        if conn is None:
            raise RuntimeError("this answer's body was already read or let go")
        try:
            body = await conn.read()
        except BaseException:
            self.close()
            raise
        self._conn = None
        self._client.settle(conn)
        return body

    async def next_bytes(self) -> bytes | None:
        """The body's next bytes as they arrive; None at its end (or once the answer was let go)."""
        conn = self._conn
        if conn is None:
            return None
        try:
            return await conn.next_bytes()
        except BaseException:
            self.close()
            raise

    def release(self) -> None:
        """The reader has what it wanted of a complete answer (a stream's last event): the connection goes back to
        the pool once the body's end is in."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.after_end(self._client.settle, _STREAM_TAIL_S)

    def close(self) -> None:
        """Stop reading (the client went away, an error): the connection is closed, never reused, since the rest
        of this answer would still arrive on it."""
        conn, self._conn = self._conn, None
        if conn is not None:
            self._client.discard(conn)

    def __del__(self) -> None:
        # An answer dropped unread must not keep its slot in the pool's limit forever.
        if self._conn is not None:
            try:
                self.close()
            except RuntimeError:  # its loop is already closed: so are its connections
                pass


class Http1Client:
    def __init__(self, *, limit: int = 512, idle_timeout: float = 60.0, connect_timeout: float = 10.0,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._limit = limit
        self._idle_timeout = idle_timeout
        self._connect_timeout = connect_timeout
        self._ssl = ssl_context
        self._idle: dict[Origin, deque[Http1Connection]] = {}
        self._open: set[Http1Connection] = set()
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def post(self, url: str, headers: Mapping[str, str], body: bytes, *, timeout: float | None = None,
                   read_timeout: float | None = None) -> Http1Response:
        """POST `body` and return once the answer's head is in. `timeout` bounds the whole call, the body's
        reading included; without it, `read_timeout` bounds getting a connection and each wait for more bytes."""
        target = target_of(url)
        data = request_head(target, headers, len(body)) + body
        now = asyncio.get_running_loop().time()
        deadline = now + timeout if timeout is not None else None
        setup = deadline if deadline is not None else (now + read_timeout if read_timeout is not None else None)
        idle = None if timeout is not None else read_timeout
        fresh = False
        while True:
            conn = await self._acquire(target.origin, setup, fresh)
            try:
                conn.send(data, deadline, idle)
                await conn.head()
            except HttpGone as exc:
                self.discard(conn)
                if exc.stale and not fresh:
                    fresh = True  # the server closed an idle connection as we wrote: no answer began
                    continue
                raise
            except BaseException:
                self.discard(conn)
                raise
            return Http1Response(self, conn)

    def settle(self, conn: Http1Connection) -> None:
        """Take a connection back after its answer: idle in the pool if it can carry another, else closed."""
        if conn.reusable and not self._closed:
            now = asyncio.get_running_loop().time()
            conn.shelve(now)
            idle = self._idle.get(conn.origin)
            if idle is None:
                idle = self._idle[conn.origin] = deque()
            idle.append(conn)
            while idle and now - idle[0].idle_since >= self._idle_timeout:  # the oldest first
                self._drop(idle.popleft())
        else:
            self._drop(conn)
        self._free_slot()

    def discard(self, conn: Http1Connection) -> None:
        self._drop(conn)
        self._free_slot()

    async def close(self) -> None:
        self._closed = True
        for conn in list(self._open):
            conn.abort()
        self._open.clear()
        self._idle.clear()
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(HttpGone("the client was closed"))
        self._waiters.clear()
        await asyncio.sleep(0)  # let the transports report their close before the loop goes on

    async def _acquire(self, origin: Origin, deadline: float | None, fresh: bool) -> Http1Connection:
        if self._closed:
            raise HttpGone("the client was closed")
        if self._in_use < self._limit:
            self._in_use += 1
        else:
            await self._slot(deadline)  # a slot handed over by `_free_slot`
        try:
            if not fresh:
                conn = self._reuse(origin)
                if conn is not None:
                    return conn
            return await self._connect(origin, deadline)
        except BaseException:
            self._free_slot()
            raise

    def _reuse(self, origin: Origin) -> Http1Connection | None:
        idle = self._idle.get(origin)
        if not idle:
            return None
        now = asyncio.get_running_loop().time()
        while idle:
            conn = idle.pop()
            if not conn.closed and now - conn.idle_since < self._idle_timeout:
                return conn
            self._drop(conn)
        return None

    async def _connect(self, origin: Origin, deadline: float | None) -> Http1Connection:
        loop = asyncio.get_running_loop()
        limit = self._connect_timeout
        if deadline is not None:
            limit = max(0.0, min(limit, deadline - loop.time()))
        tls = origin.scheme == "https"
        try:
            async with asyncio.timeout(limit):
                _, conn = await loop.create_connection(
                    lambda: Http1Connection(loop, origin), origin.host, origin.port,
                    ssl=self._tls() if tls else None, server_hostname=origin.host if tls else None)
        except TimeoutError:
            raise HttpTimeout(f"no connection to {origin.host}:{origin.port} within {limit:g}s") from None
        except OSError as exc:
            raise HttpGone(f"cannot connect to {origin.host}:{origin.port}: {exc}") from None
        self._open.add(conn)
        return conn

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    async def _slot(self, deadline: float | None) -> None:
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout_at(deadline):
                await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._free_slot()  # handed a slot it will not use: pass it on
            if isinstance(exc, TimeoutError):
                raise HttpTimeout(f"all {self._limit} upstream connections stayed busy") from None
            raise

    def _free_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot goes to the waiter as it is: the count stays
                return
        self._in_use -= 1

    def _drop(self, conn: Http1Connection) -> None:
        conn.abort()
        self._open.discard(conn)
