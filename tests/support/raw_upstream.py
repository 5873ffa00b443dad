"""A tiny HTTP/1.1 server on a real socket whose every answer a test writes byte by byte: for testing Warden's
upstream client against what servers really do (chunks, gzip, keep-alive, closing at the worst moment, stalling).

    server = RawUpstream(answer)      # answer(request, writer) -> keep the connection open?
    url = await server.start(); ...; await server.stop()
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass
class SeenRequest:
    connection: int
    """Which connection it came on (0 for the first the server accepted)."""
    line: str
    headers: dict[str, str]
    body: bytes


Answer = Callable[[SeenRequest, asyncio.StreamWriter], Awaitable[bool]]


def reply(status: int = 200, body: bytes = b"{}", headers: dict[str, str] | None = None) -> bytes:
    """A whole answer with a content-length."""
    lines = [f"HTTP/1.1 {status} X\r\n", f"content-length: {len(body)}\r\n"]
    lines += [f"{k}: {v}\r\n" for k, v in (headers or {"content-type": "application/json"}).items()]
    return "".join(lines).encode() + b"\r\n" + body


def chunked(*parts: bytes, headers: str = "content-type: text/event-stream\r\n") -> tuple[bytes, list[bytes], bytes]:
    """A chunked answer as its head, its chunks, and its terminator, for a test to write apart."""
    head = f"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n{headers}\r\n".encode()
    return head, [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts], b"0\r\n\r\n"


@dataclass
class RawUpstream:
    answer: Answer
    ssl_context: ssl.SSLContext | None = None
    requests: list[SeenRequest] = field(default_factory=list)
    connections: int = 0
    open_connections: int = 0
    most_open: int = 0
    closed_by_client: int = 0
    """Connections whose end the client chose (EOF read while waiting for a request)."""
    port: int = 0
    _server: asyncio.Server | None = None

    async def start(self) -> str:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.ssl_context)
        self.port = int(self._server.sockets[0].getsockname()[1])
        return f"{'https' if self.ssl_context else 'http'}://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        self.open_connections += 1
        self.most_open = max(self.most_open, self.open_connections)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.closed_by_client += 1
                    return
                line, *rest = head.decode().split("\r\n")
                headers = {}
                for item in rest:
                    if item:
                        name, _, value = item.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = SeenRequest(number, line, headers, body)
                self.requests.append(request)
                if not await self.answer(request, writer):
                    return
        except ConnectionError:
            return
        finally:
            self.open_connections -= 1
            writer.close()
