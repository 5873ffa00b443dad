"""Upstream calls over Warden's HTTP client (`http1_pool.py`), their failures told as the router's kinds.

`timeout` (no answer, or a stream stalled), `connection` (unreachable, cut, not HTTP), `status` (the upstream
answered an error, or a redirect, which is not followed) and `malformed` (a body that is not the JSON it should be):
the router retries and falls back on these, so each transport error maps to exactly one of them. Streams are read
as Server-Sent Events, one `data:` payload at a time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson

from gateway.providers.base import Deployment, ProviderError
from gateway.providers.http1 import HttpGone, HttpTimeout
from gateway.providers.http1_pool import Http1Client, Http1Response


async def post_whole(client: Http1Client, deployment: Deployment, url: str, headers: Mapping[str, str],
                     body: bytes) -> tuple[bytes, Mapping[str, str]]:
    """A POST's whole answer (body and headers), within the deployment's `timeout`; an error status raises."""
    try:
        response = await client.post(url, headers, body, timeout=deployment.timeout)
        raw = await response.read()
    except HttpTimeout:
        raise ProviderError("timeout", f"no answer from {deployment.id} within {deployment.timeout}s") from None
    except HttpGone as exc:
        raise ProviderError("connection", f"cannot reach {deployment.id}: {exc}") from None
    if response.status >= 300:
        raise answer_error(deployment, response.status, raw, response.headers)
    return raw, response.headers


async def open_stream(client: Http1Client, deployment: Deployment, url: str, headers: Mapping[str, str],
                      body: bytes) -> Http1Response:
    """A streamed answer, once the upstream accepted the request; each wait for it is bounded by `stream_timeout`."""
    limit = deployment.stream_timeout
    try:
        response = await client.post(url, headers, body, read_timeout=limit)
        if response.status >= 300:
            raw = await response.read()
            raise answer_error(deployment, response.status, raw, response.headers)
    except HttpTimeout:
        raise ProviderError("timeout", f"no answer from {deployment.id} within {limit}s") from None
    except HttpGone as exc:
        raise ProviderError("connection", f"cannot reach {deployment.id}: {exc}") from None
    return response


class SseData:
    """The payloads of a stream's `data:` lines, a batch per read of the socket (event names, comments and blank
    lines skipped); a line split across reads is held until its end arrives."""

    __slots__ = ("_response", "_rest")

    def __init__(self, response: Http1Response) -> None:
        self._response = response
        self._rest = b""

    async def next(self) -> list[bytes] | None:
        """The next payloads, or None at the body's end."""
        while True:
            data = await self._response.next_bytes()
            if data is None:
                rest, self._rest = self._rest, b""
                return _payloads([rest]) if rest.strip() else None
            if self._rest:
                data = self._rest + data
            *lines, self._rest = data.split(b"\n")
            if lines:
                return _payloads(lines)


def _payloads(lines: list[bytes]) -> list[bytes]:
    out = []
    for line in lines:
        line = line.strip()
        if line.startswith(b"data:"):
            out.append(line[5:].strip())
    return out


@contextmanager
def stream_errors(name: str) -> Iterator[None]:
    """What can go wrong reading a stream, as the router's failure kinds (all of them retryable)."""
    try:
        yield
    except HttpTimeout:
        raise ProviderError("timeout", f"{name} stalled mid-stream") from None
    except HttpGone as exc:
        raise ProviderError("connection", f"{name} cut the stream: {exc}") from None


def event_json(name: str, data: bytes) -> Any:
    """One stream event's JSON payload (a payload that is not JSON is a malformed stream, worth another attempt)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProviderError("malformed", f"{name} sent a stream event that is not JSON") from None


def json_object(deployment: Deployment, raw: bytes) -> dict[str, Any]:
    """An answer's body, which must be a JSON object (a malformed one is worth another attempt)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProviderError("malformed", f"{deployment.id} returned a body that is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("malformed", f"{deployment.id} returned JSON that is not an object")
    return body


def media_type(headers: Mapping[str, str]) -> str:
    """The answer's content type without its parameters, as aiohttp's `content_type` read it."""
    value = headers.get("content-type")
    return value.partition(";")[0].strip().lower() if value else "application/octet-stream"


def answer_error(deployment: Deployment, status: int, body: bytes, headers: Mapping[str, str]) -> ProviderError:
    if status < 400:  # 3xx: Warden sends the deployment's key to the deployment's URL only, so it does not follow
        return ProviderError("status", f"{deployment.id} answered {status}, a redirect to "
                                       f"{headers.get('location')!r} that is not followed: set api_base to where it "
                                       "points", status=status)
    return status_error(deployment, status, body, headers.get("retry-after"))


def status_error(deployment: Deployment, status: int, body: bytes, retry_after: str | None) -> ProviderError:
    message = body[:500].decode("utf-8", "replace")
    code: str | None = None
    try:
        decoded = orjson.loads(body)
        if isinstance(decoded, dict) and isinstance(decoded.get("error"), dict):
            message = str(decoded["error"].get("message") or message)
            code = decoded["error"].get("code") if isinstance(decoded["error"].get("code"), str) else None
    except orjson.JSONDecodeError:
        pass
    seconds: float | None = None
    if retry_after:
        try:
            seconds = float(retry_after)
        except ValueError:
            seconds = None
    return ProviderError("status", f"{deployment.id} answered {status}: {message}", status=status, retry_after=seconds,
                         code=code)
