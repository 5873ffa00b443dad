"""The human-review backlog on `/metrics`, read from the queue at scrape time (no labels: two series)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from registry.review_queue import backlog
from registry.tables import utcnow

log = logging.getLogger("warden.policy")


class ReviewBacklogCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            count, oldest = backlog(self._engine)
        except SQLAlchemyError as exc:  # a scrape while the database is away shows no backlog series
            log.warning("review backlog not read: %s", type(exc).__name__)
            return
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily("warden_review_backlog", "Answers waiting for a human review", value=count)
        yield GaugeMetricFamily("warden_review_oldest_age_seconds",
                                "Seconds the oldest answer waiting for review has waited", value=max(0.0, age))
