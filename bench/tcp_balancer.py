"""A small round-robin TCP balancer (asyncio) for the replicas benchmark: each new client connection goes to the
next backend in turn and bytes are copied both ways until either side closes. Loopback only.

    python bench/tcp_balancer.py --port 9000 --backend 127.0.0.1:8001 --backend 127.0.0.1:8002
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
from collections.abc import Iterator

try:
    import uvloop
except ImportError:  # pragma: no cover - the project's venv has it
    uvloop = None


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


class Balancer:
    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self._next: Iterator[tuple[str, int]] = itertools.cycle(backends)
        self.connections = 0

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        host, port = next(self._next)
        self.connections += 1
        try:
            backend_r, backend_w = await asyncio.open_connection(host, port)
        except OSError:
            client_w.close()
            return
        await asyncio.gather(_pipe(client_r, backend_w), _pipe(backend_r, client_w))


def _backend(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise argparse.ArgumentTypeError(f"backend {text!r}: only loopback backends")
    return host, int(port)


async def serve(port: int, backends: list[tuple[str, int]]) -> None:
    balancer = Balancer(backends)
    server = await asyncio.start_server(balancer.handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--backend", type=_backend, action="append", required=True)
    args = parser.parse_args()
    if uvloop is not None:
        uvloop.install()
    asyncio.run(serve(args.port, args.backend))


if __name__ == "__main__":
    main()
