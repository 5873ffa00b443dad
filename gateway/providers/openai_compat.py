"""Calls OpenAI-compatible upstreams (OpenAI, vLLM, Mistral, Ollama's /v1...) over one pooled HTTP client.

This is the fast path: no SDK in between, the request body goes out as JSON and the answer comes back as the
upstream wrote it. Streams are read line by line and parsed one event at a time. The URL, the headers and the
key come from the deployment alone: the payload is only ever the JSON body, whatever fields it holds.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import aiohttp
import orjson

from gateway.providers.base import (
    ChunkStream,
    Completion,
    Deployment,
    NativeCall,
    NativeCompletion,
    NativeStream,
    Provider,
    ProviderError,
    RawAnswer,
    usage_of,
)


class OpenAICompatProvider(Provider):
    def __init__(self, max_connections: int = 512,
                 inject_trace: Callable[[MutableMapping[str, str]], None] | None = None) -> None:
        self._max_connections = max_connections
        # Warden's own span context goes upstream as `traceparent`; a client's header never does.
        self._inject_trace = inject_trace
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._max_connections, keepalive_timeout=60, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, json_serialize=lambda o: orjson.dumps(o).decode(), auto_decompress=True
            )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def chat(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        return await self._post_json(deployment, "/chat/completions", payload)

    async def embed(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        return await self._post_json(deployment, "/embeddings", payload)

    async def images(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        return await self._post_json(deployment, "/images/generations", payload)

    async def speech(self, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
        raw, media_type, upstream_ms = await self._post(deployment, "/audio/speech", payload)
        return RawAnswer(raw, media_type or "application/octet-stream", upstream_ms)

    async def stream(self, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
        session = await self._ensure_session()
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=deployment.stream_timeout)
        try:
            response = await asyncio.wait_for(
                session.post(
                    _url(deployment, "/chat/completions"),
                    data=orjson.dumps(payload),
                    headers=self._headers(deployment),
                    timeout=timeout,
                ),
                timeout=deployment.stream_timeout,
            )
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise ProviderError("timeout", f"no answer from {deployment.id} within {deployment.stream_timeout}s") from None
        except aiohttp.ClientError as exc:
            raise ProviderError("connection", f"cannot reach {deployment.id}: {exc}") from None
        if response.status >= 400:
            body = await response.read()
            response.release()
            raise status_error(deployment, response.status, body, response.headers.get("retry-after"))
        return _SSEStream(response, deployment)

    async def native(self, deployment: Deployment, call: NativeCall) -> NativeCompletion | NativeStream:
        """OpenAI's Responses API, for a deployment that declares it (`model_info.supports_native_responses`)."""
        if call.api != "responses" or call.api not in deployment.native_apis:
            return await super().native(deployment, call)
        from gateway.providers.native_http import post_native

        session = await self._ensure_session()
        return await post_native(session, deployment, _url(deployment, "/responses"), self._headers(deployment), call)

    async def transcribe(self, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
        form = aiohttp.FormData()
        for name, value in payload.items():
            if name != "file":
                form.add_field(name, str(value))
        upload = payload["file"]
        form.add_field("file", base64.b64decode(upload["data"]), filename=upload["filename"],
                       content_type=upload["content_type"])
        raw, media_type, upstream_ms = await self._post(deployment, "/audio/transcriptions", form)
        return RawAnswer(raw, media_type or "application/octet-stream", upstream_ms)

    async def _post(self, deployment: Deployment, path: str,
                    payload: dict[str, Any] | aiohttp.FormData) -> tuple[bytes, str, float]:
        """The answer's body, content type and time in milliseconds. A form sets its own (multipart) type."""
        session = await self._ensure_session()
        started = time.perf_counter()
        headers = self._headers(deployment)
        if isinstance(payload, aiohttp.FormData):
            headers.pop("content-type")
        try:
            async with session.post(
                _url(deployment, path),
                data=payload if isinstance(payload, aiohttp.FormData) else orjson.dumps(payload),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=deployment.timeout),
            ) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise status_error(deployment, response.status, raw, response.headers.get("retry-after"))
                media_type = response.content_type
        except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
            raise ProviderError("timeout", f"no answer from {deployment.id} within {deployment.timeout}s") from None
        except aiohttp.ClientError as exc:
            raise ProviderError("connection", f"cannot reach {deployment.id}: {exc}") from None
        return raw, media_type, (time.perf_counter() - started) * 1000

    async def _post_json(self, deployment: Deployment, path: str, payload: dict[str, Any]) -> Completion:
        raw, _, upstream_ms = await self._post(deployment, path, payload)
        body = json_object(deployment, raw)
        prompt_tokens, completion_tokens = usage_of(body)
        return Completion(body, prompt_tokens, completion_tokens, upstream_ms)

    def _headers(self, deployment: Deployment) -> dict[str, str]:
        headers = _headers(deployment)
        if self._inject_trace is not None:
            self._inject_trace(headers)
        return headers

    async def _ensure_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            await self.start()
        assert self._session is not None
        return self._session


class _SSEStream(ChunkStream):
    def __init__(self, response: aiohttp.ClientResponse, deployment: Deployment) -> None:
        self._response = response
        self._deployment = deployment

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        with stream_errors(self._deployment.id):
            async for raw_line in self._response.content:
                line = raw_line.strip()
                if not line.startswith(b"data:"):
                    continue
                data = line[5:].strip()
                if data == b"[DONE]":
                    return
                try:
                    chunk = orjson.loads(data)
                except orjson.JSONDecodeError:
                    raise ProviderError("malformed", f"{self._deployment.id} sent a stream event that is not JSON") from None
                if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
                    raise ProviderError("status", f"{self._deployment.id} sent an error event mid-stream", status=502)
                yield chunk
        # The upstream closed without [DONE]: a cut stream.
        raise ProviderError("connection", f"{self._deployment.id} closed the stream before [DONE]")

    async def aclose(self) -> None:
        self._response.close()


def json_object(deployment: Deployment, raw: bytes) -> dict[str, Any]:
    """An answer's body, which must be a JSON object (a malformed one is worth another attempt)."""
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ProviderError("malformed", f"{deployment.id} returned a body that is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("malformed", f"{deployment.id} returned JSON that is not an object")
    return body


@contextmanager
def stream_errors(name: str) -> Iterator[None]:
    """What can go wrong reading a stream, as the router's failure kinds (all of them retryable)."""
    try:
        yield
    except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
        raise ProviderError("timeout", f"{name} stalled mid-stream") from None
    except aiohttp.ClientPayloadError:
        raise ProviderError("connection", f"{name} cut the stream") from None
    except aiohttp.ClientError as exc:
        raise ProviderError("connection", f"{name} stream failed: {exc}") from None


def _url(deployment: Deployment, path: str) -> str:
    base = (deployment.api_base or "https://api.openai.com/v1").rstrip("/")
    return base + path


def _headers(deployment: Deployment) -> dict[str, str]:
    headers = {"content-type": "application/json"}
    if deployment.api_key:
        headers["authorization"] = f"Bearer {deployment.api_key}"
    if deployment.organization:
        headers["openai-organization"] = deployment.organization
    headers.update(dict(deployment.extra_headers))
    return headers


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
