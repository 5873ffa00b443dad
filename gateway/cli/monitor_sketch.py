"""`warden monitor sketch`: sketch a configured source where it lives and print (or store) the sketch and its drift."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import click


@click.command("sketch")
@click.option("--source", "source_name", required=True, help="A source named under `sources:` in the monitor config.")
@click.option("--version", "model_version", default=None, help="Reference version to bin against (default: the source's, else the active one).")
@click.option("--since", type=click.DateTime(), help="Window start (UTC); default: now minus the source's window_seconds.")
@click.option("--until", type=click.DateTime(), help="Window end (UTC, exclusive); default: now.")
@click.option("--spark", is_flag=True, help="Compute the sketch with a PySpark job (local mode; Parquet sources).")
@click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path), help="Also write the JSON here.")
@click.option("--full", is_flag=True, help="Scan every row of the window even if the source has a watermark_column "
              "(the kept sketch of the window is left as it is).")
@click.pass_context
def sketch_command(ctx: click.Context, source_name: str, model_version: str | None, since: datetime | None,
                   until: datetime | None, spark: bool, out_path: Path | None, full: bool) -> None:
    """Sketch a prediction table in place (PostgreSQL pushdown, Parquet streaming, or Spark) and print its drift."""
    from gateway.cli.monitor import _context
    from registry.db import session_scope
    from registry.monitoring.schedule import active_references
    from registry.monitoring.source_config import ParquetSource, SourceError
    from registry.monitoring.store import load_reference
    from registry.monitoring.timeutil import as_utc, utc_now

    monitor = _context(ctx)
    binding = monitor.config.sources.get(source_name)
    if binding is None:
        raise click.UsageError(f"no source {source_name!r} in the monitor config; known: {sorted(monitor.config.sources)}")
    version = model_version or binding.version
    with session_scope(monitor.engine) as session:
        if version:
            reference = load_reference(session, binding.model, version)
        else:
            reference = next(iter(active_references(monitor, session, binding.model)), None)
    if reference is None:
        raise click.ClickException(f"no reference registered for model {binding.model!r} version {version!r}")
    start, end = since, until
    # A sketch is kept per window: one that slides with the clock would leave a row behind on every call.
    registry = None if full or (since is None and binding.source.window_seconds is not None) else monitor.engine
    if start is None and binding.source.window_seconds is not None:
        end = end or utc_now()
        start = as_utc(end) - timedelta(seconds=binding.source.window_seconds)
    try:
        if spark:
            if not isinstance(binding.source, ParquetSource):
                raise click.UsageError("--spark reads Parquet sources (a PostgreSQL table through Spark needs the "
                                       "PostgreSQL JDBC driver on Spark's classpath, which Warden does not ship)")
            sketch = _spark_sketch(binding.source, reference.profile, start, end)
        else:
            from registry.monitoring.sources import sketch_source

            sketch = sketch_source(binding.source, reference.profile, start, end, registry)
    except SourceError as exc:
        raise click.ClickException(str(exc)) from exc
    drift = sketch.drift(reference.profile, monitor.config.drift)
    document = {
        "source": source_name, "model": reference.model_name, "version": reference.model_version,
        "engine": "spark" if spark else binding.source.kind,
        "window": [None if start is None else as_utc(start).isoformat(), None if end is None else as_utc(end).isoformat()],
        "sketch": sketch.to_json(),
        "drift": [{"feature": d.feature, "psi": d.psi, d.statistic_name: d.statistic, "p_value": d.p_value,
                   "severity": d.severity} for d in drift],
    }
    text = json.dumps(document, indent=1)
    if out_path is not None:
        out_path.write_text(text + "\n")
    click.echo(text)


def _spark_sketch(source: object, profile: object, start: datetime | None, end: datetime | None) -> object:
    try:
        from registry.monitoring.sources_spark import local_session, sketch_spark_parquet
    except ImportError as exc:  # pragma: no cover - pyspark is in the lock; a trimmed install may lack it
        raise click.ClickException(f"--spark needs pyspark: {exc}") from exc
    session = local_session()
    try:
        return sketch_spark_parquet(session, source, profile, start, end)  # type: ignore[arg-type]
    finally:
        session.stop()
