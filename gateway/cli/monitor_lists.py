"""`warden monitor alerts` and `warden monitor results`: what the monitor raised and measured, as listings."""

from __future__ import annotations

import click
from sqlmodel import col, select

from gateway.cli.output import emit, format_option
from registry.db import make_engine, session_scope
from registry.monitoring.tables import AlertRecord, CheckResult

LEVELS = click.Choice(["info", "warning", "critical", "emergency"])


def _db_url(ctx: click.Context) -> str:
    from gateway.cli.monitor import _settings

    return _settings(ctx).db_url


@click.command("alerts")
@click.option("--model", "model_name", help="Only this model's alerts.")
@click.option("--level", type=LEVELS, help="Only alerts of this level.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@format_option
@click.pass_context
def alerts_command(ctx: click.Context, model_name: str | None, level: str | None, limit: int, fmt: str | None) -> None:
    """Alerts raised by the monitor, newest first."""
    query = select(AlertRecord)
    if model_name is not None:
        query = query.where(AlertRecord.model_name == model_name)
    if level is not None:
        query = query.where(AlertRecord.level == level)
    with session_scope(make_engine(_db_url(ctx))) as session:
        rows = [{"at": a.created_at.isoformat(timespec="seconds"), "model": a.model_name, "version": a.model_version,
                 "check": a.check, "level": a.level, "suppressed": a.suppressed, "message": a.message}
                for a in session.exec(query.order_by(col(AlertRecord.id).desc()).limit(limit))]
    emit(rows, ("at", "model", "version", "check", "level", "suppressed", "message"), fmt)


@click.command("results")
@click.argument("model_name")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@format_option
@click.pass_context
def results_command(ctx: click.Context, model_name: str, limit: int, fmt: str | None) -> None:
    """A model's latest measured values (drift, performance), newest first."""
    query = select(CheckResult).where(CheckResult.model_name == model_name)
    with session_scope(make_engine(_db_url(ctx))) as session:
        rows = [{"window_end": r.window_end.isoformat(timespec="seconds"), "version": r.model_version,
                 "check": r.check, "subject": r.subject, "value": r.value, "level": r.level}
                for r in session.exec(query.order_by(col(CheckResult.id).desc()).limit(limit))]
    emit(rows, ("window_end", "version", "check", "subject", "value", "level"), fmt)


LIST_COMMANDS = (alerts_command, results_command)
