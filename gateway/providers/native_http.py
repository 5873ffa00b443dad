"""Native wire formats over Warden's pooled HTTP client: Anthropic's Messages API and OpenAI's Responses API.

The body is posted as JSON to a URL built from the deployment alone (its `api_base`, never a client's), with the
deployment's key; the answer comes back in the API's own shape. Streams are read event by event: each SSE `data:`
line is one JSON event whose `type` names it. Usage is read from the API's own fields (Anthropic's cache reads and
writes, the Responses API's cached and reasoning tokens).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import orjson

from gateway.providers.base import (
    Deployment,
    NativeApi,
    NativeCall,
    NativeCompletion,
    NativeStream,
    ProviderError,
    usage_of,
)
from gateway.providers.http1_pool import Http1Client, Http1Response
from gateway.providers.upstream_http import SseData, event_json, json_object, open_stream, post_whole, stream_errors

ANTHROPIC_BASE = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"
# The events after which a native stream is complete; a connection closed before one is a cut stream.
_TERMINAL = frozenset({"message_stop", "response.completed", "response.incomplete", "response.failed"})


def anthropic_url(deployment: Deployment) -> str:
    base = (deployment.api_base or ANTHROPIC_BASE).rstrip("/")
    return base + ("/messages" if base.endswith("/v1") else "/v1/messages")


def anthropic_headers(deployment: Deployment, call: NativeCall) -> dict[str, str]:
    headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION, **dict(call.headers)}
    if deployment.api_key:
        headers["x-api-key"] = deployment.api_key
    headers.update(dict(deployment.extra_headers))
    return headers


async def post_native(client: Http1Client, deployment: Deployment, url: str, headers: dict[str, str],
                      call: NativeCall) -> NativeCompletion | NativeStream:
    """One native call: the whole answer, or (for `call.stream`) a stream once the upstream accepted it."""
    started = time.perf_counter()
    body = orjson.dumps(call.body)
    if call.stream:
        return _EventStream(await open_stream(client, deployment, url, headers, body), deployment, call.api)
    raw, _ = await post_whole(client, deployment, url, headers, body)
    return completion(call.api, json_object(deployment, raw), (time.perf_counter() - started) * 1000)


def completion(api: NativeApi, body: dict[str, Any], upstream_ms: float = 0.0) -> NativeCompletion:
    usage = openai_usage(api, body.get("usage"))
    prompt_tokens, completion_tokens = usage_of({"usage": usage})
    return NativeCompletion(body, prompt_tokens, completion_tokens, upstream_ms, api=api, usage=usage)


def openai_usage(api: NativeApi, usage: object) -> dict[str, Any]:
    """A native `usage` in OpenAI's shape, as litellm writes it: Anthropic counts `input_tokens` apart from cache
    reads and writes, and the prompt is all three; its cache writes stay in `cache_creation_input_tokens`."""
    if not isinstance(usage, dict):
        return {}
    if api == "anthropic_messages":
        fresh, read, written = (_int(usage, k) for k in ("input_tokens", "cache_read_input_tokens",
                                                          "cache_creation_input_tokens"))
        return {"prompt_tokens": fresh + read + written, "completion_tokens": _int(usage, "output_tokens"),
                "prompt_tokens_details": {"cached_tokens": read}, "cache_creation_input_tokens": written}
    return {"prompt_tokens": _int(usage, "input_tokens"), "completion_tokens": _int(usage, "output_tokens"),
            "prompt_tokens_details": {"cached_tokens": _int(usage.get("input_tokens_details"), "cached_tokens")},
            "completion_tokens_details": {
                "reasoning_tokens": _int(usage.get("output_tokens_details"), "reasoning_tokens")}}


def _int(values: object, name: str) -> int:
    value = values.get(name) if isinstance(values, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


class _EventStream(NativeStream):
    def __init__(self, response: Http1Response, deployment: Deployment, api: NativeApi) -> None:
        self._response, self._deployment, self.api = response, deployment, api

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        name = self._deployment.id
        events = SseData(self._response)
        with stream_errors(name):
            while (batch := await events.next()) is not None:
                for self.pending, data in zip(range(len(batch) - 1, -1, -1), batch):  # events still to come
                    event = event_json(name, data)
                    if not isinstance(event, dict) or not isinstance(event.get("type"), str):
                        raise ProviderError("malformed", f"{name} sent a stream event without a type")
                    if event["type"] == "error":
                        inner = event.get("error")
                        error = inner if isinstance(inner, dict) else event
                        raise ProviderError("status",
                                            f"{name} sent an error event mid-stream: {error.get('message')}",
                                            status=502)
                    if event["type"] in _TERMINAL:
                        self._response.release()
                        yield event
                        return
                    yield event
        raise ProviderError("connection", f"{name} closed the stream before its last event")

    async def aclose(self) -> None:
        self._response.close()  # a no-op once the last event handed the connection back
