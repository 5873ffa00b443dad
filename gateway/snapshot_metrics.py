"""How fresh each replica's snapshots are, on `/metrics`: the prompt store and the registry link are refreshed by
polling off the request path, and a failed refresh keeps the last snapshot. An operator alerts on the age (a
replica serving an old label or rollout plan past the polling bound) and on the failure count; read at scrape time
from the answering process (two sources, so two series each)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


@dataclass(slots=True)
class Freshness:
    """When a source last refreshed successfully (wall clock), and how many refreshes failed since start."""

    refreshed_at: float | None = None
    failures: int = 0

    def succeeded(self) -> None:
        self.refreshed_at = time.time()

    def failed(self) -> None:
        self.failures += 1


class SnapshotCollector(Collector):
    def __init__(self, sources: dict[str, Freshness]) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        age = GaugeMetricFamily("warden_snapshot_age_seconds",
                                "Seconds since the source's snapshot was last refreshed successfully", labels=["source"])
        failures = CounterMetricFamily("warden_snapshot_refresh_failures",
                                       "Refreshes that failed and kept the last snapshot", labels=["source"])
        now = time.time()
        for name, fresh in self._sources.items():
            if fresh.refreshed_at is not None:
                age.add_metric([name], max(0.0, now - fresh.refreshed_at))
            failures.add_metric([name], fresh.failures)
        yield age
        yield failures
