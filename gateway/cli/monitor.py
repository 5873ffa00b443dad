"""`warden monitor`: ingest prediction logs, register references, run checks (once or on a schedule), write reports."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from registry.db import DEFAULT_URL, make_engine, session_scope
from registry.monitoring.config import MonitorConfig, load_monitor_config
from registry.monitoring.llm_check import LlmCheckReport
from registry.monitoring.protocols import AliasSwitcher, AuditSink, TierLookup
from registry.monitoring.runner import CheckReport, MonitorContext
from registry.monitoring.usage_source import UsageCatalog


@dataclass(slots=True)
class MonitorHooks:
    """Governance pieces the root CLI may put in `ctx.obj` (tier lookup, audit trail, alias switcher, LLM list).

    Without them the CLI uses `default_hooks`: the registry's own governance, for the models it knows.
    """

    tier_lookup: TierLookup | None = None
    audit: AuditSink | None = None
    switcher: AliasSwitcher | None = None
    catalog: UsageCatalog | None = None
    governed: bool = False
    """Take the tier schedules and alert auditing from the governance tier policies (unless the config sets them)."""


def default_hooks(engine: Engine) -> MonitorHooks:
    """Governance adapters over the registry database; models governance does not know keep the plain behaviour."""
    from registry.monitoring.governance_link import governance_hooks

    found = governance_hooks(engine)
    return MonitorHooks(found.tier_lookup, found.audit, found.switcher, found.catalog, governed=True)


def _config(path: Path | None) -> MonitorConfig:
    return load_monitor_config(path)


@dataclass(frozen=True, slots=True)
class _Settings:
    db_url: str
    config: MonitorConfig


_META_KEY = "warden.monitor.settings"


def _settings(ctx: click.Context) -> _Settings:
    return ctx.meta[_META_KEY]  # type: ignore[no-any-return]


def _context(ctx: click.Context) -> MonitorContext:
    settings = _settings(ctx)
    engine = make_engine(settings.db_url)
    hooks = ctx.find_object(MonitorHooks) or default_hooks(engine)
    config = settings.config
    if hooks.governed:
        from registry.monitoring.governance_link import governed_config

        config = governed_config(config)
    return MonitorContext(
        engine=engine, config=config, tier_lookup=hooks.tier_lookup, audit=hooks.audit, switcher=hooks.switcher,
        llm_catalog=hooks.catalog,
    )


@click.group("monitor")
@click.option("--database-url", "--db", "db_url", envvar="DATABASE_URL", default=DEFAULT_URL, show_default=True,
              help="Registry database URL (env DATABASE_URL).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), envvar="WARDEN_MONITOR_CONFIG",
              help="YAML file with monitoring settings (thresholds, tiers, webhooks, actions).")
@click.pass_context
def monitor_group(ctx: click.Context, db_url: str, config_path: Path | None) -> None:
    """Model monitoring: drift, performance decay, alerts and re-training triggers."""
    from registry.migrate import upgrade

    upgrade(db_url)
    ctx.meta[_META_KEY] = _Settings(db_url, _config(config_path))


@monitor_group.command("ingest")
@click.option("--model", "model_name", required=True)
@click.option("--version", "model_version", default=None, help="Version for rows without a model_version column.")
@click.option("--batch-size", default=5000, show_default=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def ingest_command(ctx: click.Context, model_name: str, model_version: str | None, batch_size: int, file: Path) -> None:
    """Ingest a prediction log (.csv, .parquet or .jsonl; columns ts, model_version, prediction, score, request_id, features...)."""
    from registry.monitoring.files import iter_records, read_table
    from registry.monitoring.expectations_alerts import dispatcher_for
    from registry.monitoring.ingest import PredictionBatch, ingest_predictions

    engine = make_engine(_settings(ctx).db_url)
    bucket = _settings(ctx).config.bucket_seconds
    stored = sketched = violated = 0
    expect = _settings(ctx).config.expectations.get(model_name)
    missing: set[str] = set()
    for records in iter_records(read_table(file), model_version, batch_size):
        result = ingest_predictions(engine, model_name, PredictionBatch.model_construct(records=records), bucket,
                                    expect, dispatcher_for(_settings(ctx).config, expect))
        stored, sketched = stored + result.stored, sketched + result.sketched
        violated += sum(q.violations for q in result.data_quality)
        missing.update(result.versions_without_reference)
    click.echo(f"stored {stored} predictions of {model_name!r}, {sketched} folded into sketches")
    if violated:
        click.echo(f"{violated} feature value(s) broke the data-quality expectations (see the data_quality checks)")
    if missing:
        click.echo(f"no reference registered for versions {sorted(missing)}: raw rows kept, run `register-reference` then `rebuild`", err=True)


@monitor_group.command("labels")
@click.option("--model", "model_name", required=True)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def labels_command(ctx: click.Context, model_name: str, file: Path) -> None:
    """Ingest ground truth (columns request_id, actual, optional ts)."""
    from registry.monitoring.files import read_table
    from registry.monitoring.ingest import GroundTruthRecord, ingest_ground_truth

    rows = read_table(file).to_pylist()
    records = [GroundTruthRecord(request_id=str(r["request_id"]), actual=r["actual"], ts=r.get("ts")) for r in rows]
    written = ingest_ground_truth(make_engine(_settings(ctx).db_url), model_name, records)
    click.echo(f"stored {written} ground-truth labels of {model_name!r}")


@monitor_group.command("register-reference")
@click.option("--model", "model_name", required=True)
@click.option("--version", "model_version", required=True)
@click.option("--task", type=click.Choice(["classification", "regression", "ranking"]), default="classification", show_default=True)
@click.option("--prediction-column", default="prediction", show_default=True)
@click.option("--score-column", default="score", show_default=True)
@click.option("--label-column", default="label", show_default=True)
@click.option("--metrics", "metrics_json", default="{}", help='Validated metrics as JSON, e.g. \'{"f1": 0.82}\'.')
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def register_command(ctx: click.Context, model_name: str, model_version: str, task: str, prediction_column: str,
                     score_column: str, label_column: str, metrics_json: str, file: Path) -> None:
    """Register a version's reference data (training/validation set) and validated metrics."""
    from registry.monitoring.files import RESERVED, read_table
    from registry.monitoring.store import register_reference

    table = read_table(file)
    special = {prediction_column, score_column, label_column} | RESERVED
    features = {n: table.column(n) for n in table.column_names if n not in special}

    def optional(name: str) -> object:
        return table.column(name) if name in table.column_names else None

    registered = register_reference(
        make_engine(_settings(ctx).db_url), model_name, model_version, features, task=task,  # type: ignore[arg-type]
        predictions=optional(prediction_column), scores=optional(score_column), labels=optional(label_column),  # type: ignore[arg-type]
        validated_metrics=json.loads(metrics_json), n_bins=_settings(ctx).config.drift.n_bins,
    )
    click.echo(f"registered reference of {model_name!r} version {model_version!r}: {len(registered.profile.features)} profiled columns")


@monitor_group.command("rebuild")
@click.option("--model", "model_name", required=True)
@click.option("--version", "model_version", required=True)
@click.pass_context
def rebuild_command(ctx: click.Context, model_name: str, model_version: str) -> None:
    """Recompute a version's sketches from its raw prediction rows."""
    from registry.monitoring.ingest import rebuild_sketches

    settings = _settings(ctx)
    count = rebuild_sketches(make_engine(settings.db_url), model_name, model_version, settings.config.bucket_seconds)
    click.echo(f"rebuilt sketches from {count} rows")


def _echo_report(report: CheckReport | LlmCheckReport) -> None:
    if isinstance(report, LlmCheckReport):
        moved = sorted({m.feature for g in report.groups for m in g.metrics if m.drifted} | {r.name for g in report.groups for r in g.rates})
        click.echo(
            f"{report.model_name}@{report.model_version} (llm) tier {report.tier}: level={report.level.value} moved={moved} "
            f"groups={len(report.stats)} alerts={len(report.alerts)} rollback={bool(report.rollback)}"
        )
        return
    drifted = [d.feature for d in report.drift if d.drifted]
    click.echo(
        f"{report.model_name}@{report.model_version} tier {report.tier}: level={report.level.value} drifted={drifted} "
        f"alerts={len(report.alerts)} retrain={report.retrain_request_id} rollback={bool(report.rollback)}"
    )


@monitor_group.command("run")
@click.option("--model", "model_name", default=None, help="Only this model.")
@click.option("--force", is_flag=True, help="Run every active check, due or not.")
@click.option("--as-of", type=click.DateTime(), help="Run as if it were this moment (UTC), every active check.")
@click.option("--since", type=click.DateTime(), help="Back-filled history: check windows from here (UTC)...")
@click.option("--until", type=click.DateTime(), help="...up to here (UTC); windows are each tier's lookback.")
@click.pass_context
def run_command(ctx: click.Context, model_name: str | None, force: bool, as_of: datetime | None,
                since: datetime | None, until: datetime | None) -> None:
    """Run the checks that are due now (cron-friendly: exits after one pass), or over back-filled history."""
    from registry.monitoring.schedule import backfill, run_due

    if (since is None) != (until is None):
        raise click.UsageError("--since and --until go together")
    if since is not None and until is not None:
        try:
            reports: list[CheckReport | LlmCheckReport] = [*backfill(_context(ctx), since, until, model_name)]
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
    else:
        reports = run_due(_context(ctx), now=as_of, model_name=model_name, force=force or as_of is not None)
    for report in reports:
        _echo_report(report)
    click.echo(f"{len(reports)} check(s) run")


@monitor_group.command("serve")
@click.option("--interval", default=60.0, show_default=True, help="Seconds between scheduling passes.")
@click.option("--max-iterations", default=None, type=int, help="Stop after this many passes (default: run forever).")
@click.pass_context
def serve_command(ctx: click.Context, interval: float, max_iterations: int | None) -> None:
    """Run due checks on their tier schedules until stopped."""
    from registry.monitoring.schedule import serve

    total = serve(_context(ctx), interval, max_iterations, on_report=_echo_report)
    click.echo(f"{total} check(s) run")


@monitor_group.command("report")
@click.option("--model", "model_name", required=True)
@click.option("--version", "model_version", default=None, help="Default: the active version.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--as-of", type=click.DateTime(), help="The report as it stood at this moment (UTC).")
@click.option("--since", type=click.DateTime(), help="Only windows ending after this moment (UTC)...")
@click.option("--until", type=click.DateTime(), help="...and up to this one (UTC); either may be left open.")
@click.pass_context
def report_command(ctx: click.Context, model_name: str, model_version: str | None, out_dir: Path,
                   as_of: datetime | None, since: datetime | None, until: datetime | None) -> None:
    """Write a self-contained HTML report and a JSON summary of a model version (all history, or a period)."""
    from registry.monitoring.report import build_summary, write_report
    from registry.monitoring.report_period import ReportPeriod

    try:
        period = ReportPeriod.of(as_of, since, until)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    from registry.monitoring.schedule import active_references
    from registry.monitoring.store import load_reference

    monitor = _context(ctx)
    with session_scope(monitor.engine) as session:
        if model_version:
            reference = load_reference(session, model_name, model_version)
        else:
            reference = next(iter(active_references(monitor, session, model_name)), None)
        if reference is None:
            raise click.ClickException(f"no reference registered for model {model_name!r} version {model_version!r}")
        summary = build_summary(session, reference, monitor.config, period)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{model_name}-{reference.model_version}".replace(os.sep, "_")
    html_path, json_path = out_dir / f"{stem}.html", out_dir / f"{stem}.json"
    write_report(summary, html_path, json_path, monitor.config)
    click.echo(f"wrote {html_path} and {json_path}")


from gateway.cli.monitor_lists import LIST_COMMANDS  # noqa: E402 - they use this group's settings

for _command in LIST_COMMANDS:
    monitor_group.add_command(_command)
from gateway.cli.monitor_kpi import kpi_command  # noqa: E402  (its own module; registered on the group here)
from gateway.cli.monitor_sketch import sketch_command  # noqa: E402

monitor_group.add_command(sketch_command)
monitor_group.add_command(kpi_command)
