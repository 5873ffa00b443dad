"""Pick the source of a model version's predictions and sketch it over a window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine

from registry.monitoring.config import MonitorConfig
from registry.monitoring.reference import ReferenceProfile
from registry.monitoring.source_config import ParquetSource, PostgresSource, SourceBinding
from registry.monitoring.source_sketch import SourceSketch


def binding_for(config: MonitorConfig, model_name: str, model_version: str) -> SourceBinding | None:
    """The configured source of this model version, if its predictions are not ingested (first match by name)."""
    for name in sorted(config.sources):
        if config.sources[name].applies_to(model_name, model_version):
            return config.sources[name]
    return None


def sketch_source(source: PostgresSource | ParquetSource, profile: ReferenceProfile, start: datetime | None = None,
                  end: datetime | None = None, registry: Engine | None = None) -> SourceSketch:
    """Sketch `source` where it lives (imports only the driver the source needs). With the `registry` engine, a
    PostgreSQL source with a `watermark_column` continues the sketch the last check of the same window kept."""
    if isinstance(source, PostgresSource):
        from registry.monitoring.sources_pg import sketch_postgres
        from registry.monitoring.sources_pg_increments import IncrementStore

        increments = None if registry is None else IncrementStore(registry)
        return sketch_postgres(source, profile, start, end, increments=increments)
    from registry.monitoring.sources_parquet import sketch_parquet

    return sketch_parquet(source, profile, start, end)
