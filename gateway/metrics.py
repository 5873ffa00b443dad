"""Prometheus metrics, one registry per app (so tests and embedded apps do not share counters)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from gateway.budget_gauges import BudgetGauges
from gateway.genai_metrics import GenAIMetrics
from gateway.metric_children import Children
from gateway.metrics_multiprocess import render

LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("warden_requests", "Requests by team, model and outcome", ["team", "model", "status"], registry=r)
        self.errors = Counter("warden_errors", "Failed requests by error type", ["team", "model", "error"], registry=r)
        self.tokens = Counter("warden_tokens", "Tokens by team, model and kind", ["team", "model", "kind"], registry=r)
        self.cost = Counter("warden_cost_usd", "Spend in USD by team and model", ["team", "model"], registry=r)
        self.overhead = Histogram("warden_overhead_seconds", "Time spent in Warden, excluding the upstream",
                                  ["endpoint"], buckets=LATENCY_BUCKETS, registry=r)
        self.upstream = Histogram("warden_upstream_seconds", "Upstream latency by model", ["model"],
                                  buckets=LATENCY_BUCKETS, registry=r)
        self.guardrail = Counter("warden_guardrail_verdicts", "Guardrail verdicts by action",
                                 ["guardrail", "action"], registry=r)
        self.usage_spooled = Gauge("warden_usage_spooled_rows", "Usage rows written to the spool", registry=r)
        self.usage_quarantined = Gauge("warden_usage_quarantined_rows",
                                       "Usage rows the database refused, kept in the spool's quarantine folder",
                                       registry=r)
        self.limit_decisions = Counter(
            "warden_limit_decisions", "Limit checks by where they were decided: 'local' (admitted on this process's "
            "fresh view of Redis, charged behind the request) or 'redis' (checked and charged in Redis, refusals "
            "included). Only the Redis backend counts.", ["where"], registry=r)
        self.child = Children()
        self.genai = GenAIMetrics(r, self.child)
        self.budgets = BudgetGauges(r)

    def render(self) -> bytes:
        return render(self.registry)
