"""The typed provider interface. The router and the pipeline see only this; transports implement it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.providers.cost import Prices

Transport = Literal["native", "litellm", "demo"]
DeploymentMode = Literal["chat", "embedding", "image_generation", "audio_speech", "audio_transcription"]
"""What a deployment serves (LiteLLM's `model_info.mode` names): the endpoints that may call it."""
NativeApi = Literal["anthropic_messages", "responses"]
"""Wire formats a deployment may be called in besides chat completions: Anthropic's Messages API (Anthropic
deployments) and OpenAI's Responses API (deployments that declare `model_info.supports_native_responses`)."""
FailureKind = Literal["timeout", "connection", "status", "malformed", "config"]


@dataclass(frozen=True, slots=True)
class Deployment:
    """One upstream serving a public model name. Several deployments may share a name (load-balanced)."""

    id: str
    model_name: str
    provider: str
    upstream_model: str
    litellm_model: str
    transport: Transport
    mode: DeploymentMode = "chat"
    api_base: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_version: str | None = None
    organization: str | None = None
    timeout: float = 600.0
    stream_timeout: float = 600.0
    max_retries: int | None = None
    weight: float = 1.0
    order: int | None = None
    """LiteLLM's priority within the model: the lowest order present serves, the next only when those fail."""
    rpm: int | None = None
    tpm: int | None = None
    extra_headers: tuple[tuple[str, str], ...] = ()
    extra_params: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    default_params: tuple[tuple[str, float | int], ...] = ()
    """Request parameters from the config, sent when the request does not set them."""
    prices: Prices = Prices()
    description: str | None = None
    registry_model: str | None = None
    registry_version: str | None = None
    tags: tuple[str, ...] = ()
    unavailable: str | None = None
    """Why this deployment cannot be called (e.g. a missing secret), or None."""
    native_apis: frozenset[NativeApi] = frozenset()
    """The native wire formats this deployment is called in when a request arrives in one of them."""

    @property
    def is_demo(self) -> bool:
        return self.transport == "demo"


@dataclass(slots=True)
class Completion:
    """A whole upstream answer in OpenAI's JSON shape (chat.completion or an embedding list)."""

    body: dict[str, Any]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    upstream_ms: float = 0.0


@dataclass(slots=True)
class RawAnswer:
    """An answer passed on as the upstream sent it: speech (the audio file itself), a transcript in its format."""

    content: bytes
    media_type: str
    upstream_ms: float = 0.0


@dataclass(slots=True)
class NativeCompletion(Completion):
    """A whole upstream answer in the API's own shape (an Anthropic message, a Response), not a chat completion."""

    api: NativeApi = "anthropic_messages"
    usage: dict[str, Any] = field(default_factory=dict)
    """The answer's usage in OpenAI's shape (what `token_details` reads), whatever the API's own shape."""


@dataclass(frozen=True, slots=True)
class NativeCall:
    """A request in a native wire format. `body` is built by the pipeline from an allow-list (never the client's
    bytes as such); `headers` are the allow-listed client headers that go upstream (`anthropic-beta`)."""

    api: NativeApi
    body: dict[str, Any]
    stream: bool
    headers: tuple[tuple[str, str], ...] = ()


class ProviderError(Exception):
    """An upstream call failed. `retryable` says whether another attempt may succeed."""

    def __init__(
        self,
        kind: FailureKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.code = code
        """The upstream's error code (OpenAI's `error.code`, e.g. `context_length_exceeded`), when it sent one."""

    @property
    def retryable(self) -> bool:
        if self.kind in ("timeout", "connection", "malformed"):
            return True
        return self.status is not None and (self.status in (408, 409, 429) or self.status >= 500)


class ChunkStream(ABC):
    """Parsed `chat.completion.chunk` objects from one upstream stream; `aclose` cancels the upstream call."""

    pending: int = 0
    """Events already read from the socket and not yet yielded, after the one just yielded: while above zero,
    the next one comes without waiting for the network (a stream that cannot tell leaves it at 0)."""

    @abstractmethod
    def __aiter__(self) -> AsyncIterator[dict[str, Any]]: ...

    @abstractmethod
    async def aclose(self) -> None: ...


class NativeStream(ChunkStream):
    """Parsed events of a native stream (each the JSON of one SSE `data:` line, its `type` naming the event)."""

    api: NativeApi


class Provider(ABC):
    """A transport to upstream models: Warden's pooled OpenAI-compatible client, litellm, or the demo."""

    @abstractmethod
    async def chat(self, deployment: Deployment, payload: dict[str, Any]) -> Completion: ...

    @abstractmethod
    async def stream(self, deployment: Deployment, payload: dict[str, Any]) -> ChunkStream:
        """Open a stream; returns once the upstream has accepted the request (status known)."""

    @abstractmethod
    async def embed(self, deployment: Deployment, payload: dict[str, Any]) -> Completion: ...

    async def images(self, deployment: Deployment, payload: dict[str, Any]) -> Completion:
        """OpenAI's image generation answer (`data`, and `usage` where the model reports tokens)."""
        raise ProviderError("config", f"{deployment.id}: image generation passes through to OpenAI-compatible "
                                      "deployments only")

    async def speech(self, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
        raise ProviderError("config", f"{deployment.id}: speech passes through to OpenAI-compatible deployments only")

    async def transcribe(self, deployment: Deployment, payload: dict[str, Any]) -> RawAnswer:
        """`payload` holds the form's fields and `file` (`AudioFile` as JSON: name, type, base64 data)."""
        raise ProviderError("config", f"{deployment.id}: transcription passes through to OpenAI-compatible "
                                      "deployments only")
    async def native(self, deployment: Deployment, call: NativeCall) -> NativeCompletion | NativeStream:
        """Call the deployment in a native wire format; a transport that has none refuses (not retried)."""
        raise ProviderError("config", f"{deployment.id} is not called through the {call.api} API")

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None


def usage_of(body: dict[str, Any]) -> tuple[int, int]:
    usage = body.get("usage") or {}
    return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
