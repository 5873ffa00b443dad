"""Calls OpenAI-compatible upstreams (OpenAI, vLLM, Mistral, Ollama's /v1...) over Warden's pooled HTTP/1.1 client.

This is the fast path: no SDK in between, the request body goes out as JSON and the answer comes back as the
upstream wrote it (`http1_pool.py`; transcriptions, multipart uploads, still go through aiohttp). Streams are
read line by line and parsed one event at a time. The URL, the headers and the key come from the deployment
alone: the payload is only ever the JSON body, whatever fields it holds.
"""

from __future__ import annotations

import base64
import ssl
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
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
from gateway.providers.http1_pool import Http1Client, Http1Response
from gateway.providers.upstream_http import (
    SseData,
    event_json,
    json_object,
    media_type,
    open_stream,
    post_whole,
    status_error,
    stream_errors,
)


class OpenAICompatProvider(Provider):
    def __init__(self, max_connections: int = 512,
                 inject_trace: Callable[[MutableMapping[str, str]], None] | None = None,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._max_connections = max_connections
        # Warden's own span context goes upstream as `traceparent`; a client's header never does.
        self._inject_trace = inject_trace
        self._http = Http1Client(limit=max_connections, ssl_context=ssl_context)
        # Multipart uploads (transcriptions) only, so opened on the first one.
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        await self._http.close()
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
        return RawAnswer(raw, media_type, upstream_ms)

    async def stream(self, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
        response = await open_stream(self._http, deployment, _url(deployment, "/chat/completions"),
                                     self._headers(deployment), orjson.dumps(payload))
        return _SSEStream(response, deployment)

    async def native(self, deployment: Deployment, call: NativeCall) -> NativeCompletion | NativeStream:
        """OpenAI's Responses API, for a deployment that declares it (`model_info.supports_native_responses`)."""
        if call.api != "responses" or call.api not in deployment.native_apis:
            return await super().native(deployment, call)
        from gateway.providers.native_http import post_native

        return await post_native(self._http, deployment, _url(deployment, "/responses"), self._headers(deployment),
                                 call)

    async def transcribe(self, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
        form = aiohttp.FormData()
        for name, value in payload.items():
            if name != "file":
                form.add_field(name, str(value))
        upload = payload["file"]
        form.add_field("file", base64.b64decode(upload["data"]), filename=upload["filename"],
                       content_type=upload["content_type"])
        headers = self._headers(deployment)
        headers.pop("content-type")  # the form sets its own (multipart, with its boundary)
        if self._session is None:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=self._max_connections,
                                                                                 keepalive_timeout=60))
        started = time.perf_counter()
        try:
            async with self._session.post(_url(deployment, "/audio/transcriptions"), data=form, headers=headers,
                                          timeout=aiohttp.ClientTimeout(total=deployment.timeout)) as response:
                raw = await response.read()
                if response.status >= 400:
                    raise status_error(deployment, response.status, raw, response.headers.get("retry-after"))
                kind = response.content_type
        except (TimeoutError, aiohttp.ServerTimeoutError):
            raise ProviderError("timeout", f"no answer from {deployment.id} within {deployment.timeout}s") from None
        except aiohttp.ClientError as exc:
            raise ProviderError("connection", f"cannot reach {deployment.id}: {exc}") from None
        return RawAnswer(raw, kind or "application/octet-stream", (time.perf_counter() - started) * 1000)

    async def _post(self, deployment: Deployment, path: str, payload: dict[str, Any]) -> tuple[bytes, str, float]:
        """The answer's body, media type and time in milliseconds."""
        started = time.perf_counter()
        raw, headers = await post_whole(self._http, deployment, _url(deployment, path), self._headers(deployment),
                                        orjson.dumps(payload))
        return raw, media_type(headers), (time.perf_counter() - started) * 1000

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


class _SSEStream(ChunkStream):
    def __init__(self, response: Http1Response, deployment: Deployment) -> None:
        self._response = response
        self._deployment = deployment

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        events = SseData(self._response)
        with stream_errors(self._deployment.id):
            while (batch := await events.next()) is not None:
                for self.pending, data in zip(range(len(batch) - 1, -1, -1), batch):  # events still to come
                    if data == b"[DONE]":
                        self._response.release()
                        return
                    chunk = event_json(self._deployment.id, data)
                    if isinstance(chunk, dict) and "error" in chunk and "choices" not in chunk:
                        raise ProviderError("status", f"{self._deployment.id} sent an error event mid-stream",
                                            status=502)
                    yield chunk
        # The upstream closed without [DONE]: a cut stream.
        raise ProviderError("connection", f"{self._deployment.id} closed the stream before [DONE]")

    async def aclose(self) -> None:
        self._response.close()  # a no-op once [DONE] handed the connection back


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
