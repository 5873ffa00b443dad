"""What one request carries through the pipeline, from authentication to its usage row."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from gateway.errors import WardenError, error_type_name
from gateway.limits.base import BudgetRule, RateRule, Reservation
from gateway.media_schemas import MediaRequest
from gateway.prompts import ResolvedPrompt
from gateway.providers.cost import NO_DETAILS, TokenDetails
from gateway.providers.base import NativeApi
from gateway.providers.router import Served
from gateway.schemas import ChatRequest, EmbeddingRequest
from gateway.usage_policy.decision import PolicyDecision
from guardrails.base import CheckContext, Verdict
from registry.tables import utcnow

if TYPE_CHECKING:
    from gateway.tracing import RequestTrace

Endpoint = Literal["chat", "embeddings", "moderations", "responses", "images", "speech", "transcriptions"]
"""`responses` is a chat request translated from the Responses API: the same steps, its own usage rows. `images`,
`speech` and `transcriptions` pass through to OpenAI-compatible deployments (`gateway/media_schemas.py`)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: one key, its team, and everything that limits them."""

    key_id: str
    role: Literal["admin", "team"]
    team: str | None
    models: frozenset[str] | None
    """Models this key may use (key and team lists intersected); None means all."""
    rates: tuple[RateRule, ...] = ()
    budgets: tuple[BudgetRule, ...] = ()
    guardrail_policy: str | None = None
    person: str | None = None
    """The person holding the key (governance audit trail)."""

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_use(self, model: str) -> bool:
        return self.models is None or model in self.models


@dataclass(frozen=True, slots=True)
class PromptInfo:
    """What the usage row and the response headers say about the stored prompt a request used."""

    name: str
    label: str | None
    commit: str
    template_hash: str


@dataclass(frozen=True, slots=True)
class NativeRequest:
    """What an API adapter gives the pipeline besides the chat request: how to build its own API's body from the
    chat payload as it goes upstream (masked, with a stored prompt rendered), for deployments that speak the API."""

    api: NativeApi
    build: Callable[[dict[str, Any]], dict[str, Any]]
    headers: tuple[tuple[str, str], ...] = ()
    """Allow-listed client headers that go upstream with the native body."""


@dataclass(slots=True)
class RequestContext:
    request_id: str
    endpoint: Endpoint
    started: float = field(default_factory=time.perf_counter)
    created_at: datetime = field(default_factory=utcnow)
    principal: Principal | None = None
    request: ChatRequest | EmbeddingRequest | MediaRequest | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    """The body that goes upstream (without `model`, which the router sets per deployment)."""
    model: str | None = None
    served: Served | None = None
    reservation: Reservation | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    token_details: TokenDetails = NO_DETAILS
    """The parts of the prompt and completion tokens priced apart (cache reads and writes, reasoning, audio...)."""
    cost_usd: float = 0.0
    cost_known: bool = True
    upstream_ms: float = 0.0
    upstream_started: float | None = None
    first_chunk_at: float | None = None
    """When a stream first relayed content to the client (time to first token)."""
    status_code: int = 200
    status: Literal["ok", "error", "blocked", "cancelled", "shutdown"] = "ok"
    error_type: str | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    checks: CheckContext = field(default_factory=CheckContext)
    prompt: PromptInfo | None = None
    resolved_prompt: ResolvedPrompt | None = None
    prompt_variables: dict[str, Any] = field(default_factory=dict)
    guardrail_policy: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    answer_texts: list[str] = field(default_factory=list)
    """The answer as the caller received it, kept only when the policy logs full exchanges."""
    recorded: bool = False
    ended: float | None = None
    """When a whole answer was ready to send: a row recorded after the response is timed up to here."""
    trace: RequestTrace | None = None
    """The request's root span, when tracing is on."""
    no_cache: bool = False
    no_store: bool = False
    """The client's `Cache-Control` header (the body's `cache` field says the same per request)."""
    cache_hit: bool = False
    declared_class: str | None = None
    """The data class the client declared in the `x-warden-data-class` header."""
    policy: PolicyDecision | None = None
    """The usage policy's decision (`apply_policy`)."""
    native: NativeRequest | None = None
    """The request in its own API's shape, sent as such to a deployment that speaks that API."""

    @property
    def stream(self) -> bool:
        return isinstance(self.request, ChatRequest) and self.request.stream

    def fail(self, exc: BaseException) -> None:
        if isinstance(exc, (asyncio.CancelledError, GeneratorExit)):
            self.status, self.status_code, self.error_type = "cancelled", 499, "client_disconnected"
            return
        self.status_code = exc.status if isinstance(exc, WardenError) else 500
        self.error_type = error_type_name(exc)
        if self.status != "blocked":
            self.status = "error"

    def elapsed_ms(self) -> float:
        return ((self.ended or time.perf_counter()) - self.started) * 1000

    def overhead_ms(self) -> float:
        return max(0.0, self.elapsed_ms() - self.upstream_ms)
