"""Record/replay of gateway calls, keyed by a hash of the request, so CI reruns a suite offline and exactly.

The cassette sits under the HTTP client as an httpx transport, so the cases' calls and the judge's calls (made by
ragas through langchain and the openai SDK) are recorded and replayed the same way. The key is the method, the
path and the JSON body with sorted keys: never the API key or the host, so a cassette recorded against one
gateway replays anywhere. A replay miss is noted against the case being run (a context variable) and answered
with a 599 so the SDKs give up at once; the runner turns it into an error naming the case.
"""

from __future__ import annotations

import contextvars
import hashlib
import threading
import time
from pathlib import Path
from typing import Literal

import httpx
import orjson

Mode = Literal["live", "record", "replay"]
CURRENT_CASE: contextvars.ContextVar[str] = contextvars.ContextVar("warden_eval_case", default="-")
KEPT_HEADERS = ("content-type", "x-request-id", "x-warden-guardrails", "x-warden-prompt", "x-warden-prompt-commit",
                "x-warden-prompt-hash", "x-warden-deployment")
MISS_STATUS = 599
RECORDED_LATENCY = "x-eval-recorded-latency-ms"
"""On replay, the latency measured when the answer was recorded (so latency ceilings keep their meaning)."""
_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})
FORMAT = 1


def request_key(method: str, path: str, body: bytes) -> str:
    """The prompt's version is left out: which commit answered is checked from the recorded
    `x-warden-prompt-commit` instead, so one cassette serves every ref that resolves to the recorded commit."""
    try:
        data = orjson.loads(body) if body else None
        if isinstance(data, dict) and isinstance(data.get("prompt"), dict):
            data["prompt"] = {k: v for k, v in data["prompt"].items() if k not in ("version", "label")}
        canonical = orjson.dumps(data, option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    return hashlib.sha256(b"\n".join([method.upper().encode(), path.encode(), canonical])).hexdigest()


class Cassette:
    """Answers by request hash, loaded from and saved to one JSON file."""

    def __init__(self, path: Path, mode: Mode) -> None:
        self.path, self.mode = path, mode
        self.entries: dict[str, dict[str, object]] = {}
        self.misses: dict[str, list[str]] = {}
        self.costs: dict[str, float] = {}
        """request id -> USD, from the usage rows at record time."""
        self._lock = threading.Lock()
        if mode == "replay":
            if not path.exists():
                raise FileNotFoundError(f"no cassette at {str(path)!r}: record one with --record")
            data = orjson.loads(path.read_bytes())
            if data.get("format") != FORMAT:
                raise ValueError(f"{path}: unknown cassette format {data.get('format')!r}")
            self.entries = data["entries"]
            self.costs = data.get("costs", {})

    def lookup(self, key: str) -> dict[str, object] | None:
        return self.entries.get(key)

    def store(self, key: str, entry: dict[str, object]) -> None:
        with self._lock:
            self.entries[key] = entry

    def miss(self, case: str, path: str) -> None:
        with self._lock:
            self.misses.setdefault(case, []).append(path)

    def save(self) -> None:
        if self.mode != "record":
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        body = {"format": FORMAT, "entries": dict(sorted(self.entries.items())), "costs": self.costs}
        self.path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n")


class CassetteTransport(httpx.AsyncBaseTransport):
    """Wraps a real transport (live, record) or stands alone (replay)."""

    def __init__(self, cassette: Cassette, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.cassette = cassette
        self.inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        path = request.url.path
        key = request_key(request.method, path, body)
        if self.cassette.mode == "replay":
            entry = self.cassette.lookup(key)
            if entry is None:
                self.cassette.miss(CURRENT_CASE.get(), path)
                return httpx.Response(MISS_STATUS, json={"error": {"message": f"replay miss for {path}",
                                                                  "type": "replay_miss", "code": "replay_miss"}})
            headers = {**entry["headers"], RECORDED_LATENCY: str(entry.get("latency_ms", 0))}  # type: ignore[dict-item]
            return httpx.Response(int(entry["status"]), headers=headers, content=orjson.dumps(entry["body"]))
        started = time.perf_counter()
        response = await self.inner.handle_async_request(request)
        content = await response.aread()
        latency_ms = round((time.perf_counter() - started) * 1000, 3)
        if self.cassette.mode == "record" and response.status_code < 500:
            try:
                parsed = orjson.loads(content)
            except orjson.JSONDecodeError:
                parsed = content.decode("utf-8", "replace")
            headers = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
            self.cassette.store(key, {"case": CURRENT_CASE.get(), "path": path, "status": response.status_code,
                                      "headers": headers, "body": parsed, "latency_ms": latency_ms})
        passed = [(k, v) for k, v in response.headers.items() if k.lower() not in _BODY_HEADERS]
        return httpx.Response(response.status_code, headers=passed, content=content)

    async def aclose(self) -> None:
        await self.inner.aclose()
