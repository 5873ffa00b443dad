"""Labelled children are looked up once per label values and count into the same series as `labels()`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

from gateway.metric_children import Children


def test_children_are_the_series_labels_returns() -> None:
    registry = CollectorRegistry()
    requests = Counter("t_requests", "requests", ["team", "status"], registry=registry)
    latency = Histogram("t_latency", "latency", ["team"], registry=registry, buckets=(0.1, 1.0))
    child = Children()
    assert child(requests, "alpha", "ok") is requests.labels("alpha", "ok")
    assert child(requests, "alpha", "ok") is child(requests, "alpha", "ok")
    assert child(requests, "alpha", "error") is not child(requests, "alpha", "ok")
    child(requests, "alpha", "ok").inc()
    child(requests, "alpha", "ok").inc(2)
    requests.labels("alpha", "ok").inc()
    child(latency, "alpha").observe(0.5)  # same values on another metric: its own series
    assert registry.get_sample_value("t_requests_total", {"team": "alpha", "status": "ok"}) == 4
    assert registry.get_sample_value("t_requests_total", {"team": "alpha", "status": "error"}) == 0
    assert registry.get_sample_value("t_latency_bucket", {"team": "alpha", "le": "1.0"}) == 1
