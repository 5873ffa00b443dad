"""The same sketch computed by a Spark job, for prediction tables larger than one machine.

One aggregation over the DataFrame: per feature a bin index column (numeric: the number of reference edges
strictly below the value, so `(lo, hi]` bins as in Python; categorical: the position among the kept categories),
then conditional counts and moments. Only the one-row result comes back to the driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING


from registry.monitoring.binning import NumericBins
from registry.monitoring.reference import FeatureReference, ReferenceProfile
from registry.monitoring.source_config import ParquetSource, SourceError
from registry.monitoring.source_sketch import SourceSketch, from_aggregate_row
from registry.monitoring.timeutil import as_utc

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession


def local_session(threads: int = 2) -> SparkSession:
    """A Spark session in local mode (no cluster, no network), quiet and small."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(f"local[{threads}]").appName("warden-monitor-sketch")
        .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC").config("spark.sql.shuffle.partitions", str(threads))
        .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
        .getOrCreate()
    )


def sketch_spark_parquet(spark: SparkSession, source: ParquetSource, profile: ReferenceProfile,
                         start: datetime | None = None, end: datetime | None = None) -> SourceSketch:
    """Read a Parquet source with Spark and sketch it (Spark prunes columns and row groups itself)."""
    frame = spark.read.parquet(source.path)
    return sketch_frame(frame, source.feature_columns(profile), profile, source.time_column, start, end)


def sketch_frame(frame: DataFrame, columns: Mapping[str, str], profile: ReferenceProfile, time_column: str | None = None,
                 start: datetime | None = None, end: datetime | None = None) -> SourceSketch:
    from pyspark.sql import functions as F

    missing = sorted(set(columns.values()) - set(frame.columns))
    if missing:
        raise SourceError(f"columns {missing!r} are not in the Spark table; it has {frame.columns!r}")
    if start is not None or end is not None:
        if time_column is None or time_column not in frame.columns:
            raise SourceError(f"a window needs a time column present in the table, got {time_column!r}")
        if start is not None:
            frame = frame.where(F.col(time_column) >= F.lit(as_utc(start)))
        if end is not None:
            frame = frame.where(F.col(time_column) < F.lit(as_utc(end)))
    chosen = [f for f in profile.features if f.name in columns]
    aggregates: list[Column] = [F.count(F.lit(1))]
    for feature in chosen:
        aggregates += _aggregates(feature, F.col(f"`{columns[feature.name]}`"))
    row = frame.agg(*aggregates).collect()[0]
    return from_aggregate_row(tuple(row), chosen)


def _aggregates(feature: FeatureReference, column: Column) -> list[Column]:
    from pyspark.sql import functions as F

    if isinstance(feature.bins, NumericBins):
        value = column.cast("double")
        clean = F.when(value.isNull() | F.isnan(value), F.lit(None)).otherwise(value)
        below = [F.when(clean > F.lit(edge), 1).otherwise(0) for edge in feature.bins.edges]
        index = F.when(clean.isNull(), feature.bins.size - 1).otherwise(sum(below[1:], below[0]) if below else F.lit(0))
        moments = [F.sum(clean), F.sum(clean * clean), F.min(clean), F.max(clean)]
    else:
        kept = F.array(*[F.lit(c) for c in feature.bins.categories]) if feature.bins.categories else None
        other = len(feature.bins.categories)
        position = F.array_position(kept, column.cast("string")) if kept is not None else F.lit(0)
        index = F.when(column.isNull(), other + 1).when(position == 0, other).otherwise(position - 1)
        moments = []
    counts = [F.count(F.when(index == k, 1)) for k in range(feature.bins.size)]
    return moments + counts

