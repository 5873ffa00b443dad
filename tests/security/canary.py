"""A canary listener: a real TCP socket on 127.0.0.1 that counts every connection and keeps what it was sent.

Any connection at all is the finding (the gateway, or a library inside it, dialled a URL a client chose), so the
canary answers a minimal HTTP 200 only to let a caller that got through show what it would have done next.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_ANSWER = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}")


class Canary:
    """Counts connections to 127.0.0.1:<port>; `received` holds the bytes of each one."""

    def __init__(self) -> None:
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self._server.settimeout(0.2)
        self.port: int = self._server.getsockname()[1]
        self.received: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self.received)

    def seen(self, secret: str) -> bool:
        with self._lock:
            return any(secret.encode() in data for data in self.received)

    def start(self) -> Canary:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.received.append(b"(connected)")
                index = len(self.received) - 1
            threading.Thread(target=self._handle, args=(conn, index), daemon=True).start()

    def _handle(self, conn: socket.socket, index: int) -> None:
        data = b""
        conn.settimeout(0.5)
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            conn.sendall(_ANSWER)
        except OSError:
            pass
        finally:
            conn.close()
            with self._lock:
                self.received[index] = data or b"(connected)"


@contextmanager
def running_canary() -> Iterator[Canary]:
    canary = Canary().start()
    try:
        yield canary
    finally:
        canary.stop()
