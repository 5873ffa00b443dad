"""Turns the standard `OTEL_*` environment variables into the gateway's tracing, once, at start-up.

Tracing is off unless `OTEL_TRACES_EXPORTER` names an exporter other than `none`, or an OTLP endpoint is set
(`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, which imply `otlp`); `OTEL_SDK_DISABLED=true`
wins over both. The OTLP exporter (HTTP/protobuf) reads its own variables (endpoint, headers, timeout) and sends
nothing before the first batch of spans is ready.
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor, SpanExporter

from gateway.tracing import NoTracing, OtelTracing, Tracing

_ENDPOINTS = ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")


def tracing_from_env(environ: Mapping[str, str]) -> Tracing:
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return NoTracing()
    names = [n.strip() for n in environ.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names and any(environ.get(v) for v in _ENDPOINTS):
        names = ["otlp"]
    exporters = [_exporter(name) for name in names if name != "none"]
    if not exporters:
        return NoTracing()
    provider = _provider(environ)
    for exporter in exporters:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return OtelTracing(provider)


def tracing_to(exporter: SpanExporter, service_name: str = "warden") -> OtelTracing:
    """Tracing that hands every span to `exporter` as it ends (tests use the SDK's in-memory exporter)."""
    provider = _provider({"OTEL_SERVICE_NAME": service_name})
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OtelTracing(provider)


def _provider(environ: Mapping[str, str]) -> TracerProvider:
    return TracerProvider(resource=Resource.create({"service.name": environ.get("OTEL_SERVICE_NAME", "warden")}))


def _exporter(name: str) -> SpanExporter:
    if name == "otlp":
        # Imported here: the exporter's protobuf modules are only worth loading when spans leave the process.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    if name == "console":
        return ConsoleSpanExporter()
    raise ValueError(f"OTEL_TRACES_EXPORTER names {name!r}; Warden knows 'otlp', 'console' and 'none'")
