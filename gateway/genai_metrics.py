"""Prometheus metrics named after the OpenTelemetry GenAI conventions, beside Warden's own `warden_*` metrics.

`gen_ai.client.token.usage` becomes `gen_ai_client_token_usage` (a histogram of tokens per call, by
`gen_ai_token_type`), `gen_ai.client.operation.duration` becomes `gen_ai_client_operation_duration_seconds`, and a
stream adds its time to first token and time per output token as Warden relays them. Every label value comes from
the config (model, deployment and provider names) or a closed set; a model the config does not serve is `other`.
Only requests that reached the provider step are measured: a refused request is a `warden_*` metric, not a call.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.metric_children import Children
from gateway.providers.cost import NO_DETAILS
from gateway.tracing import operation_name

if TYPE_CHECKING:
    from gateway.pipeline.context import RequestContext
    from gateway.providers.router import Router

# The buckets the GenAI conventions advise for each instrument.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
TTFT_BUCKETS = (0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
PER_TOKEN_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5)
LABELS = ["gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_request_model", "deployment"]
TOKEN_TYPES = {"cached": "cached_input", "cache_write": "cache_write_input", "audio_input": "audio_input",
               "image_input": "image_input", "reasoning": "reasoning", "audio_output": "audio_output",
               "image_output": "image_output"}
"""The `gen_ai_token_type` of each part of the input and output counts (`TokenDetails`), observed when reported."""


class GenAIMetrics:
    def __init__(self, registry: CollectorRegistry, children: Children | None = None) -> None:
        r = registry
        self._child = children or Children()
        self.tokens = Histogram("gen_ai_client_token_usage", "Tokens per upstream call, by token type",
                                [*LABELS, "gen_ai_token_type"], buckets=TOKEN_BUCKETS, registry=r)
        self.duration = Histogram("gen_ai_client_operation_duration_seconds", "Upstream call duration (all attempts)",
                                  LABELS, buckets=DURATION_BUCKETS, registry=r)
        self.first_token = Histogram("gen_ai_server_time_to_first_token_seconds",
                                     "Streams: from the upstream call to the first content Warden relays",
                                     LABELS, buckets=TTFT_BUCKETS, registry=r)
        self.per_token = Histogram("gen_ai_server_time_per_output_token_seconds",
                                   "Streams: time per output token after the first", LABELS,
                                   buckets=PER_TOKEN_BUCKETS, registry=r)

    def observe(self, ctx: RequestContext, model: str) -> None:
        """`model` is the bounded `model` label of the `warden_*` metrics (configured name or `other`)."""
        if ctx.upstream_started is None:
            return
        deployment = ctx.served.deployment if ctx.served is not None else None
        labels = (operation_name(ctx.endpoint), deployment.provider if deployment else "-", model,
                  deployment.id if deployment else "-")
        child = self._child
        child(self.duration, *labels).observe(ctx.upstream_ms / 1000)
        if deployment is None:
            return
        child(self.tokens, *labels, "input").observe(ctx.prompt_tokens)
        if ctx.endpoint != "embeddings":
            child(self.tokens, *labels, "output").observe(ctx.completion_tokens)
        # Parts of the input and output counts above, kept apart only when the upstream reports them.
        if ctx.token_details is not NO_DETAILS:
            for name, token_type in TOKEN_TYPES.items():
                if count := getattr(ctx.token_details, name):
                    child(self.tokens, *labels, token_type).observe(count)
        if ctx.first_chunk_at is not None:
            first = ctx.first_chunk_at - ctx.upstream_started
            child(self.first_token, *labels).observe(first)
            if ctx.completion_tokens > 1:
                after_first = ctx.upstream_ms / 1000 - first
                child(self.per_token, *labels).observe(max(0.0, after_first) / (ctx.completion_tokens - 1))


class CooldownCollector(Collector):
    """Each deployment's health as the router sees it in this process, read at scrape time."""

    def __init__(self, router: Router) -> None:
        self._router = router

    def collect(self) -> Iterator[Metric]:
        labels = ["model", "deployment"]
        cooling = GaugeMetricFamily("warden_deployment_cooldown", "1 while a deployment is cooling down after failures",
                                    labels=labels)
        remaining = GaugeMetricFamily("warden_deployment_cooldown_remaining_seconds",
                                      "Seconds of cooldown a deployment has left", labels=labels)
        fails = GaugeMetricFamily("warden_deployment_consecutive_failures",
                                  "Failures in a row since the deployment last answered", labels=labels)
        for model in self._router.models():
            for deployment in self._router.group(model):
                count, left = self._router.health(deployment.id)
                values = [model, deployment.id]
                cooling.add_metric(values, 1.0 if left > 0 else 0.0)
                remaining.add_metric(values, left)
                fails.add_metric(values, float(count))
        yield from (cooling, remaining, fails)
