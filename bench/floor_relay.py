"""The `floor` target of gateway_bench.py: the least a Python gateway can do.

A bare ASGI app under uvicorn (uvloop, httptools) that relays each POST body to the upstream through one pooled
aiohttp session and streams the answer back: no parsing, no validation, no logging, no metrics. Warden's cost
is read against this relay measured in the same run.

    python bench/floor_relay.py --upstream http://127.0.0.1:PORT --port PORT
"""

from __future__ import annotations

import argparse
from typing import Any

import aiohttp
import uvicorn

Scope = dict[str, Any]
HOP_BY_HOP = {b"content-length", b"transfer-encoding", b"connection", b"keep-alive", b"date", b"server"}


class Relay:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.session: aiohttp.ClientSession | None = None

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["path"] == "/healthz":
            await _answer(send, 200, [(b"content-type", b"text/plain")], b"ok")
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k in (b"authorization", b"content-type")}
        assert self.session is not None
        async with self.session.post(self.upstream + scope["path"], data=body, headers=headers) as reply:
            out = [(k.lower().encode(), v.encode()) for k, v in reply.headers.items()
                   if k.lower().encode() not in HOP_BY_HOP]
            await send({"type": "http.response.start", "status": reply.status, "headers": out})
            async for chunk in reply.content.iter_any():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, ttl_dns_cache=None))
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.session is not None:
                    await self.session.close()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _answer(send: Any, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--upstream", required=True, help="the upstream's origin, e.g. http://127.0.0.1:9000")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(Relay(args.upstream), host="127.0.0.1", port=args.port, loop="uvloop", http="httptools",
                access_log=False, log_level="warning", lifespan="on")


if __name__ == "__main__":
    main()
