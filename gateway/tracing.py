"""OpenTelemetry spans for the request path: one per request, a child per pipeline step, one per upstream attempt.

The choice is made once at start-up (`gateway.tracing_setup`): without tracing the gateway holds a `NoTracing`
whose methods return a shared no-op context manager, so a request creates no span objects at all. Spans carry
names, models, token counts, error types and guardrail verdicts (name, action, score, finding kinds); no message
text, keys or anything a client wrote beyond the model name, unless the request's guardrail policy sets
`trace_content` (then the messages and the answer, PII-masked: `gateway.tracing_content`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from gateway.errors import error_type_name
from gateway.exchange_masking import PayloadMasker
from gateway.providers.base import Deployment, ProviderError
from gateway.tracing_content import end_with_content

if TYPE_CHECKING:
    from gateway.pipeline.context import Endpoint, RequestContext
    from gateway.state import Gateway
    from guardrails.base import Verdict

P = ParamSpec("P")
T = TypeVar("T")
_NULL: AbstractContextManager[None] = nullcontext()
# GenAI semantic conventions name the operation; a moderation has no standard name and keeps its own.
_OPERATIONS = {"chat": "chat", "responses": "chat", "embeddings": "embeddings", "moderations": "moderations",
               "images": "generate_content", "speech": "generate_content", "transcriptions": "generate_content"}


@dataclass(slots=True)
class RequestTrace:
    """The request's root span, and how many of its verdicts are already events on some span."""

    span: Span
    context: Context
    evented: int = 0


class NoTracing:
    """Tracing off: every method is a no-op, so the request path pays a method call and nothing else."""

    enabled = False

    def start(self, ctx: RequestContext, headers: Mapping[str, str]) -> None:
        return None

    def step(self, ctx: RequestContext, name: str) -> AbstractContextManager[object]:
        return _NULL

    def attempt(self, deployment: Deployment, number: int) -> AbstractContextManager[object]:
        return _NULL

    def inject(self, headers: MutableMapping[str, str]) -> None:
        return None

    def finish(self, ctx: RequestContext, model: str, content: bool = False) -> None:
        return None

    def shutdown(self) -> None:
        return None


class OtelTracing:
    """Tracing on, through a private `TracerProvider` (the process-wide one is left to whoever embeds Warden)."""

    enabled = True

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider
        self._tracer = provider.get_tracer("warden")
        self._propagator = TraceContextTextMapPropagator()
        self._masker = PayloadMasker()  # its PII models load on first use, on a worker thread

    def start(self, ctx: RequestContext, headers: Mapping[str, str]) -> None:
        """The root span continues the caller's W3C `traceparent` when it sends one."""
        parent = self._propagator.extract(headers)
        operation = operation_name(ctx.endpoint)
        span = self._tracer.start_span(operation, context=parent, kind=SpanKind.SERVER,
                                       attributes={"gen_ai.operation.name": operation})
        ctx.trace = RequestTrace(span, trace.set_span_in_context(span))

    def step(self, ctx: RequestContext, name: str) -> AbstractContextManager[object]:
        return _NULL if ctx.trace is None else self._step(ctx, ctx.trace, name)

    @contextmanager
    def _step(self, ctx: RequestContext, root: RequestTrace, name: str) -> Iterator[Span]:
        seen = len(ctx.verdicts)
        with self._tracer.start_as_current_span(f"warden.{name}", context=root.context) as span:
            try:
                yield span
            except BaseException as exc:
                span.set_attribute("error.type", error_type_name(exc))
                raise
            finally:
                _verdict_events(span, ctx.verdicts[seen:])
                root.evented = len(ctx.verdicts)

    @contextmanager
    def attempt(self, deployment: Deployment, number: int) -> Iterator[Span]:
        """A client span around one upstream call; it is current while the call runs, so `inject` names it."""
        attributes = {"gen_ai.provider.name": deployment.provider, "gen_ai.request.model": deployment.upstream_model,
                      "warden.deployment": deployment.id, "warden.attempt": number}
        with self._tracer.start_as_current_span(f"upstream {deployment.upstream_model}", kind=SpanKind.CLIENT,
                                                attributes=attributes) as span:
            try:
                yield span
            except ProviderError as exc:
                span.set_attribute("error.type", str(exc.status) if exc.status else exc.kind)
                raise

    def inject(self, headers: MutableMapping[str, str]) -> None:
        self._propagator.inject(headers)

    def finish(self, ctx: RequestContext, model: str, content: bool = False) -> None:
        """Ends the root span once the usage row is written (for a stream, when the stream ends). `model` is the
        bounded name the metrics use: a client's unknown model name (free text) is `other` here too. With
        `content` (the request's guardrail policy sets `trace_content`), the masked messages and answer are added
        before the span ends."""
        root = ctx.trace
        if root is None:
            return
        span = root.span
        operation = operation_name(ctx.endpoint)
        if ctx.model:
            span.update_name(f"{operation} {model}")
            span.set_attribute("gen_ai.request.model", model)
        if ctx.served is not None:
            span.set_attribute("gen_ai.provider.name", ctx.served.deployment.provider)
            span.set_attribute("gen_ai.response.model", ctx.served.deployment.upstream_model)
            span.set_attribute("warden.deployment", ctx.served.deployment.id)
            span.set_attribute("warden.attempts", ctx.served.attempts)
        span.set_attribute("gen_ai.usage.input_tokens", ctx.prompt_tokens)
        span.set_attribute("gen_ai.usage.output_tokens", ctx.completion_tokens)
        span.set_attribute("http.response.status_code", ctx.status_code)
        span.set_attribute("warden.status", ctx.status)
        if ctx.error_type:
            span.set_attribute("error.type", ctx.error_type)
            span.set_status(Status(StatusCode.ERROR))
        _verdict_events(span, ctx.verdicts[root.evented:])
        if content:
            end_with_content(span, self._masker, ctx.payload.get("messages", ctx.payload.get("input")),
                             ctx.answer_texts)
        else:
            span.end()

    def shutdown(self) -> None:
        """Flushes what is queued (the exporter's own timeout bounds the wait)."""
        self._provider.shutdown()


Tracing = NoTracing | OtelTracing


def traced(name: str) -> Callable[[Callable[Concatenate[Gateway, RequestContext, P], Awaitable[T]]],
                                  Callable[Concatenate[Gateway, RequestContext, P], Awaitable[T]]]:
    """Marks a pipeline step: it runs inside a child span of the request's span when tracing is on. With tracing
    off the step's own coroutine is returned, unwrapped: a wrapping coroutine would be one more frame for every
    resumption of the request's task to pass through, and a context to enter and leave, on every step."""

    def wrap(step: Callable[Concatenate[Gateway, RequestContext, P], Awaitable[T]]
             ) -> Callable[Concatenate[Gateway, RequestContext, P], Awaitable[T]]:
        async def in_span(gw: Gateway, ctx: RequestContext, *args: P.args, **kwargs: P.kwargs) -> T:
            with gw.tracing.step(ctx, name):
                return await step(gw, ctx, *args, **kwargs)

        @functools.wraps(step)
        def run(gw: Gateway, ctx: RequestContext, *args: P.args, **kwargs: P.kwargs) -> Awaitable[T]:
            if gw.tracing.enabled:
                return in_span(gw, ctx, *args, **kwargs)
            return step(gw, ctx, *args, **kwargs)

        return run

    return wrap


def operation_name(endpoint: Endpoint) -> str:
    return _OPERATIONS[endpoint]


def _verdict_events(span: Span, verdicts: Sequence[Verdict]) -> None:
    for verdict in verdicts:
        kinds = sorted({finding.kind for finding in verdict.findings})
        span.add_event("gen_ai.guardrail.verdict", {
            "warden.guardrail.name": verdict.guardrail, "warden.guardrail.action": verdict.action,
            "warden.guardrail.score": float(verdict.score), "warden.guardrail.finding_kinds": kinds,
        })
