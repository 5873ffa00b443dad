"""Pick the source of a model version's predictions and sketch it over a window."""

from __future__ import annotations

from datetime import datetime

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
                  end: datetime | None = None) -> SourceSketch:
    """Sketch `source` where it lives (imports only the driver the source needs)."""
    if isinstance(source, PostgresSource):
        from registry.monitoring.sources_pg import sketch_postgres

        return sketch_postgres(source, profile, start, end)
    from registry.monitoring.sources_parquet import sketch_parquet

    return sketch_parquet(source, profile, start, end)
