"""OpenTelemetry traces end to end: the openai SDK -> Warden (spans to an in-memory exporter) -> a fake upstream."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.tracing import NoTracing
from gateway.tracing_setup import tracing_from_env, tracing_to
from guardrails import registry
from guardrails.base import CheckContext, Finding, Guardrail, Segment, Verdict
from tests.gateway.conftest import deployment
from tests.support.fake_upstream import FakeUpstream
from tests.support.gateway_server import RunningGateway, running_gateway

STEPS = ["warden.authenticate", "warden.enforce_limits", "warden.filter_chunks", "warden.check_input",
         "warden.resolve_prompt", "warden.apply_policy", "warden.call_provider", "warden.check_output"]
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
Traced = tuple[RunningGateway, InMemorySpanExporter]


class _Secret(Guardrail):
    """Blocks a request that says SECRET (the word itself must never reach a span)."""

    name = "trace_secret"
    stages = ("input",)

    async def check(self, segments: Sequence[Segment], context: CheckContext) -> Verdict:
        hits = [Finding("secret_word", 0.9, i) for i, s in enumerate(segments) if "SECRET" in s.text]
        return self.verdict(bool(hits), 0.9 if hits else 0.0, hits)


registry.register(_Secret)


@pytest.fixture()
def traced(tmp_path: Path, upstream: FakeUpstream) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    config = {"model_list": [deployment("chat-a", upstream),
                             deployment("chat-l", upstream, model_info={"transport": "litellm"})], "prompts": None,
              "router_settings": {"num_retries": 2, "retry_backoff_s": 0.01, "max_backoff_s": 0.05},
              "guardrail_policies": {"words": {"input": [{"guardrail": "trace_secret", "mode": "block"}]},
                                     "content": {"trace_content": True}}}
    teams = {"alpha": {}, "words": {"guardrail_policy": "words"}, "content": {"guardrail_policy": "content"}}
    with running_gateway(config, f"sqlite:///{tmp_path / 'gw.db'}", teams, tmp_path, tracing_to(exporter)) as gw:
        yield gw, exporter


def _trace(exporter: InMemorySpanExporter, root_prefix: str = "chat", wait_s: float = 10) -> list[ReadableSpan]:
    """The spans of the one finished request (the root ends last, after the usage row; streams end late)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        spans = exporter.get_finished_spans()
        if any(s.parent is None or s.parent.is_remote for s in spans if s.name.startswith(root_prefix)):
            return list(spans)
        time.sleep(0.02)
    raise AssertionError(f"no root span among {[s.name for s in exporter.get_finished_spans()]}")


def _root(spans: list[ReadableSpan]) -> ReadableSpan:
    return next(s for s in spans if s.name.startswith("chat"))


def _children(spans: list[ReadableSpan], parent: ReadableSpan) -> list[ReadableSpan]:
    assert parent.context is not None
    return [s for s in spans if s.parent is not None and s.parent.span_id == parent.context.span_id]


def test_a_request_is_a_span_with_one_child_per_step_and_genai_attributes(traced: Traced) -> None:
    gw, exporter = traced
    gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hello there"}])
    spans = _trace(exporter)
    root = _root(spans)
    assert root.name == "chat chat-a"
    attrs = dict(root.attributes or {})
    assert attrs["gen_ai.operation.name"] == "chat" and attrs["gen_ai.request.model"] == "chat-a"
    assert attrs["gen_ai.response.model"] == "chat-a-upstream" and attrs["gen_ai.provider.name"] == "openai"
    assert attrs["gen_ai.usage.input_tokens"] > 0 and attrs["gen_ai.usage.output_tokens"] > 0
    assert "error.type" not in attrs
    assert [s.name for s in sorted(_children(spans, root), key=lambda s: s.start_time or 0)] == STEPS
    provider_step = next(s for s in spans if s.name == "warden.call_provider")
    (attempt,) = _children(spans, provider_step)
    assert attempt.attributes["gen_ai.request.model"] == "chat-a-upstream"  # type: ignore[index]
    assert all("hello" not in str(v) for s in spans for v in (s.attributes or {}).values())


def test_a_stream_ends_its_span_when_the_stream_ends(traced: Traced) -> None:
    gw, exporter = traced
    stream = gw.client().chat.completions.create(model="chat-a", stream=True,
                                                 messages=[{"role": "user", "content": "tell me a story"}])
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    root = _root(_trace(exporter))
    assert root.attributes["gen_ai.usage.output_tokens"] > 0  # type: ignore[index]
    assert root.attributes["warden.status"] == "ok"  # type: ignore[index]


def test_a_failed_attempt_and_its_retry_are_two_spans(traced: Traced, upstream: FakeUpstream) -> None:
    gw, exporter = traced
    upstream.enqueue(status=503)
    gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "again"}])
    spans = _trace(exporter)
    attempts = sorted((s for s in spans if s.name.startswith("upstream ")), key=lambda s: s.start_time or 0)
    assert [a.attributes["warden.attempt"] for a in attempts] == [1, 2]  # type: ignore[index]
    assert attempts[0].attributes["error.type"] == "503" and "error.type" not in attempts[1].attributes  # type: ignore
    assert _root(spans).attributes["warden.attempts"] == 2  # type: ignore[index]


def test_a_guardrail_block_is_an_event_without_the_text(traced: Traced) -> None:
    gw, exporter = traced
    with pytest.raises(openai.BadRequestError):
        gw.client("words").chat.completions.create(model="chat-a",
                                                  messages=[{"role": "user", "content": "the SECRET plan"}])
    spans = _trace(exporter)
    root = _root(spans)
    assert root.attributes["error.type"] and root.attributes["warden.status"] == "blocked"  # type: ignore[index]
    check = next(s for s in spans if s.name == "warden.check_input")
    (event,) = [e for e in check.events if e.name == "gen_ai.guardrail.verdict"]
    assert dict(event.attributes or {}) == {"warden.guardrail.name": "trace_secret", "warden.guardrail.action": "block",
                                            "warden.guardrail.score": 0.9,
                                            "warden.guardrail.finding_kinds": ("secret_word",)}
    assert not any(s.name == "warden.call_provider" for s in spans)
    texts = [str(v) for s in spans for v in [*(s.attributes or {}).values(), *(a for e in s.events
                                                                               for a in (e.attributes or {}).values())]]
    assert not any("SECRET" in t for t in texts)


def test_traceparent_is_continued_and_warden_forwards_its_own(traced: Traced, upstream: FakeUpstream) -> None:
    gw, exporter = traced
    sent = f"00-{CLIENT_TRACE}-00f067aa0ba902b7-01"
    with httpx.Client(base_url=gw.base_url) as http:
        answer = http.post("/v1/chat/completions", headers={"authorization": f"Bearer {gw.keys['alpha']}",
                                                            "traceparent": sent},
                           json={"model": "chat-a", "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == 200
    spans = _trace(exporter)
    root = _root(spans)
    assert format(root.context.trace_id, "032x") == CLIENT_TRACE  # type: ignore[union-attr]
    assert root.parent is not None and root.parent.span_id == 0x00f067aa0ba902b7
    forwarded = upstream.requests[-1].headers["traceparent"]
    attempt = next(s for s in spans if s.name.startswith("upstream "))
    assert forwarded == f"00-{CLIENT_TRACE}-{attempt.context.span_id:016x}-01"  # type: ignore[union-attr]
    assert forwarded != sent


def test_the_litellm_transport_forwards_warden_s_traceparent_too(traced: Traced, upstream: FakeUpstream) -> None:
    gw, exporter = traced
    gw.client().chat.completions.create(model="chat-l", messages=[{"role": "user", "content": "hi"}])
    attempt = next(s for s in _trace(exporter) if s.name.startswith("upstream "))
    context = attempt.context
    assert context is not None
    forwarded = upstream.requests[-1].headers["traceparent"]
    assert forwarded.split("-")[:3] == ["00", f"{context.trace_id:032x}", f"{context.span_id:016x}"]


@pytest.mark.parametrize(("environ", "enabled"), [
    ({}, False),
    ({"OTEL_TRACES_EXPORTER": "none"}, False),
    ({"OTEL_TRACES_EXPORTER": "console"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, True),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318", "OTEL_SDK_DISABLED": "true"}, False),
])
def test_tracing_is_off_unless_the_environment_asks(environ: dict[str, str], enabled: bool) -> None:
    tracing = tracing_from_env(environ)
    assert tracing.enabled is enabled
    tracing.shutdown()


def test_an_unknown_exporter_is_refused_with_its_name() -> None:
    with pytest.raises(ValueError, match="'zipkin'"):
        tracing_from_env({"OTEL_TRACES_EXPORTER": "zipkin"})


def test_an_unknown_model_name_never_reaches_a_span(traced: Traced) -> None:
    gw, exporter = traced
    with pytest.raises(openai.NotFoundError):
        gw.client().chat.completions.create(model="jean.dupont@example.com",
                                            messages=[{"role": "user", "content": "x"}])
    root = _root(_trace(exporter))
    assert root.name == "chat other" and root.attributes["gen_ai.request.model"] == "other"  # type: ignore[index]
    assert root.attributes["error.type"]  # type: ignore[index]


def test_without_otel_variables_the_gateway_holds_no_tracer(gw: RunningGateway, upstream: FakeUpstream) -> None:
    assert isinstance(gw.gateway.tracing, NoTracing)
    gw.client().chat.completions.create(model="chat-a", messages=[{"role": "user", "content": "hi"}])
    assert "traceparent" not in upstream.requests[-1].headers


def test_message_content_reaches_a_span_only_when_the_policy_allows_it_and_only_masked(traced: Traced) -> None:
    gw, exporter = traced
    said = "Please write to jane.doe@example.com about the invoice"
    gw.client("alpha").chat.completions.create(model="chat-a", messages=[{"role": "user", "content": said}])
    plain = _root(_trace(exporter))
    assert "gen_ai.input.messages" not in plain.attributes and "gen_ai.output.messages" not in plain.attributes
    assert "jane.doe" not in str(plain.attributes) + str([e.attributes for e in plain.events])
    exporter.clear()
    gw.client("content").chat.completions.create(model="chat-a", messages=[{"role": "user", "content": said}])
    root = _root(_trace(exporter, wait_s=120))  # the first masking loads the PII models
    sent = json.loads(root.attributes["gen_ai.input.messages"])
    answered = json.loads(root.attributes["gen_ai.output.messages"])
    assert sent[0]["role"] == "user" and "<EMAIL_ADDRESS>" in sent[0]["content"] and "invoice" in sent[0]["content"]
    assert "jane.doe" not in root.attributes["gen_ai.input.messages"]
    assert answered and answered[0]["role"] == "assistant" and answered[0]["content"]
    assert root.end_time is not None and root.start_time is not None and root.end_time > root.start_time
