"""`warden logs`: show one logged exchange, purge exchanges past their retention."""

from __future__ import annotations

import sys

import click
import orjson

from gateway.cli.common import config_option, database_option, open_registry, settings_from
from gateway.exchange_log import purge_loop
from registry.exchanges import Exchange, get_exchange, purge_expired

__all__ = ["logs_group", "purge_loop"]


@click.group("logs")
def logs_group() -> None:
    """Request/response exchanges kept for audit (policies with `logging: full`)."""


@logs_group.command("show")
@config_option
@database_option
@click.option("--team", help="Only if the exchange belongs to this team.")
@click.argument("request_id")
def logs_show(config_path: str | None, database_url: str | None, team: str | None, request_id: str) -> None:
    """Print the exchange of REQUEST_ID (masked bodies) as JSON."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        exchange = get_exchange(engine, request_id, team)
    finally:
        engine.dispose()
    if exchange is None:
        click.echo(f"error: no exchange logged for request {request_id!r}"
                   + (f" in team {team!r}" if team else "")
                   + " (its policy may not log bodies, or its retention ended)", err=True)
        sys.exit(1)
    click.echo(orjson.dumps(_as_json(exchange), option=orjson.OPT_INDENT_2).decode())


@logs_group.command("purge")
@config_option
@database_option
def logs_purge(config_path: str | None, database_url: str | None) -> None:
    """Delete the exchanges whose retention period has ended."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        deleted = purge_expired(engine)
    finally:
        engine.dispose()
    click.echo(f"deleted {deleted} exchange{'s' if deleted != 1 else ''} past their retention")


def _as_json(exchange: Exchange) -> dict[str, object]:
    return {
        "request_id": exchange.request_id,
        "created_at": exchange.created_at.isoformat(),
        "team": exchange.team,
        "policy": exchange.policy,
        "retention_until": exchange.retention_until.isoformat(),
        "request": exchange.request_json,
        "response": exchange.response_json,
    }
