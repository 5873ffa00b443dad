"""Provider translation through litellm, for upstreams that do not speak OpenAI's protocol natively
(Anthropic, Azure, Bedrock, Vertex, Ollama's native API...).

This is the only module that imports litellm, and it does so on first use: a gateway whose deployments are
all OpenAI-compatible never loads it.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable, MutableMapping
from typing import Any

from gateway.errors import BadRequest
from gateway.providers.base import (
    ChunkStream,
    Completion,
    Deployment,
    NativeCall,
    NativeCompletion,
    NativeStream,
    Provider,
    ProviderError,
    usage_of,
)
from gateway.providers.http1_pool import Http1Client
from gateway.providers.native_http import anthropic_headers, anthropic_url, post_native
from gateway.providers.parameters import litellm_chat_arguments, litellm_embedding_arguments, remote_media

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_LOG", "ERROR")


def _litellm() -> Any:
    import litellm

    litellm.telemetry = False
    litellm.drop_params = True
    litellm.suppress_debug_info = True  # no "Give Feedback" banner on stdout for every failed call
    return litellm


class LiteLLMProvider(Provider):
    def __init__(self, inject_trace: Callable[[MutableMapping[str, str]], None] | None = None) -> None:
        # Warden's own span context goes upstream as `traceparent` (among litellm's extra headers); a client's never.
        self._inject_trace = inject_trace
        self._http = Http1Client(limit=256)

    async def native(self, deployment: Deployment, call: NativeCall) -> NativeCompletion | NativeStream:
        """Anthropic's own Messages API, over a pooled HTTP client: prompt caching, extended thinking and the
        cache counts of its usage survive, which a translation through chat completions would drop."""
        if call.api != "anthropic_messages" or call.api not in deployment.native_apis:
            return await super().native(deployment, call)
        headers = anthropic_headers(deployment, call)
        if self._inject_trace is not None:
            self._inject_trace(headers)
        return await post_native(self._http, deployment, anthropic_url(deployment), headers, call)

    async def close(self) -> None:
        await self._http.close()

    async def chat(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        arguments = self._traced(_arguments(deployment, payload, stream=False))
        try:
            response = await _litellm().acompletion(**arguments)
        except Exception as exc:  # litellm raises its own hierarchy; map it once, here
            raise _map_error(deployment, exc) from None
        body = response.model_dump(exclude_none=True)
        prompt_tokens, completion_tokens = usage_of(body)
        return Completion(body, prompt_tokens, completion_tokens, (time.perf_counter() - started) * 1000)

    async def stream(self, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
        arguments = self._traced(_arguments(deployment, payload, stream=True))
        try:
            response = await _litellm().acompletion(**arguments)
        except Exception as exc:
            raise _map_error(deployment, exc) from None
        return _LiteLLMStream(response, deployment)

    async def embed(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        started = time.perf_counter()
        arguments = litellm_embedding_arguments(payload)
        arguments.update(_credentials(deployment))
        arguments["model"] = deployment.litellm_model
        arguments = self._traced(arguments)
        try:
            response = await _litellm().aembedding(**arguments)
        except Exception as exc:
            raise _map_error(deployment, exc) from None
        body = response.model_dump(exclude_none=True)
        prompt_tokens, _ = usage_of(body)
        return Completion(body, prompt_tokens, 0, (time.perf_counter() - started) * 1000)

    def _traced(self, arguments: dict[str, Any]) -> dict[str, Any]:
        if self._inject_trace is not None:
            headers = dict(arguments.get("extra_headers") or {})
            self._inject_trace(headers)
            arguments["extra_headers"] = headers
        return arguments


class _LiteLLMStream(ChunkStream):
    def __init__(self, response: Any, deployment: Deployment) -> None:
        self._response = response
        self._deployment = deployment

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        try:
            async for chunk in self._response:
                yield chunk.model_dump(exclude_none=True)
        except Exception as exc:
            raise _map_error(self._deployment, exc) from None

    async def aclose(self) -> None:
        close = getattr(self._response, "aclose", None)
        if close is not None:
            await close()


def _credentials(deployment: Deployment) -> dict[str, Any]:
    arguments: dict[str, Any] = {"timeout": deployment.timeout, "num_retries": 0}
    for name in ("api_base", "api_key", "api_version", "organization"):
        value = getattr(deployment, name)
        if value:
            arguments[name] = value
    if deployment.extra_headers:
        arguments["extra_headers"] = dict(deployment.extra_headers)
    arguments.update(dict(deployment.extra_params))
    return arguments


def _arguments(deployment: Deployment, payload: dict[str, Any], *, stream: bool) -> dict[str, Any]:
    """The client's allow-listed fields first, then the deployment's own settings over them."""
    url = remote_media(payload.get("messages"))
    if url is not None:
        scheme = url.split(":", 1)[0][:16] if ":" in url else url[:4]
        raise BadRequest(f"model {deployment.model_name!r} takes images and files only inline (data: URLs), not as "
                         f"{scheme!r} URLs", param="messages", code="remote_media_refused")
    arguments = litellm_chat_arguments(payload)
    arguments.update(_credentials(deployment))
    arguments["model"] = deployment.litellm_model
    arguments["stream"] = stream
    if stream:
        arguments["timeout"] = deployment.stream_timeout
    return arguments


def _map_error(deployment: Deployment, exc: Exception) -> ProviderError:
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    message = f"{deployment.id}: {name}: {str(exc)[:300]}"
    if "Timeout" in name:
        return ProviderError("timeout", message, status=status)
    if "APIConnectionError" in name or "ServiceUnavailable" in name and status is None:
        return ProviderError("connection", message, status=status)
    if isinstance(status, int):
        code = "context_length_exceeded" if name == "ContextWindowExceededError" else None
        return ProviderError("status", message, status=status, code=code)
    return ProviderError("connection", message)
