"""Metrics summed over `warden serve --workers N`: prometheus_client's multiprocess mode.

`serve` points PROMETHEUS_MULTIPROC_DIR at an emptied folder before the workers start; each worker's counters,
histograms and gauges then live in memory-mapped files there, and whichever worker answers /metrics reads them
all. Collectors that compute their values when scraped (deployment cooldowns, monitoring, ...) are not in the
files: they are read from the answering worker as in one-process mode.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.multiprocess import MultiProcessCollector

ENV = "PROMETHEUS_MULTIPROC_DIR"


def folder() -> Path | None:
    value = os.environ.get(ENV)
    return Path(value) if value else None


def prepare(path: Path) -> Path:
    """Create `path` or empty it of an earlier run's files (stale counts would be summed in), and export it for
    the workers about to start."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ[ENV] = str(path)
    return path


class _Aggregated:
    """The files' metrics (every worker's) plus this worker's scrape-time collectors."""

    def __init__(self, registry: CollectorRegistry, path: Path) -> None:
        self._registry, self._path = registry, path

    def collect(self) -> Iterator[Metric]:
        yield from MultiProcessCollector(None, path=str(self._path)).collect()
        # Which collectors are metric wrappers is only kept in the registry's private map (stable since 0.4).
        for collector in list(getattr(self._registry, "_collector_to_names", {})):
            if not isinstance(collector, MetricWrapperBase):
                yield from collector.collect()


def render(registry: CollectorRegistry) -> bytes:
    path = folder()
    if path is None:
        return generate_latest(registry)
    return generate_latest(_Aggregated(registry, path))  # type: ignore[arg-type]
