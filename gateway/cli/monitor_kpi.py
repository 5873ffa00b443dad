"""`warden monitor kpi --model NAME KPI=VALUE...`: push business-KPI values (phase 6), judged against the charter's
alert levels and alerted through the monitor config's webhooks, like `POST /registry/models/{name}/kpis`."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import datetime

import click
from pydantic import ValidationError


def _pairs(values: tuple[str, ...]) -> list[dict[str, object]]:
    out = []
    for item in values:
        name, sep, number = item.rpartition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not KPI=VALUE", param_hint="VALUES")
        out.append({"name": name, "value": number})
    return out


@click.command("kpi")
@click.option("--model", "model_name", required=True)
@click.option("--version", "model_version", help="The version credited (default: the one `production` serves).")
@click.option("--at", type=click.DateTime(), help="When the values were measured (UTC; default now).")
@click.argument("values", nargs=-1, required=True)
@click.pass_context
def kpi_command(ctx: click.Context, model_name: str, model_version: str | None, at: datetime | None,
                values: tuple[str, ...]) -> None:
    """Store VALUES (`"approval rate=0.61"`, one per KPI of the charter) and print each with its level.

    Exit 2 on a KPI the charter does not declare or a value that is not a number.
    """
    from gateway.cli.monitor import _settings
    from registry.db import make_engine
    from registry.governance.errors import GovernanceError
    from registry.monitoring.alerts import AlertDispatcher
    from registry.monitoring.governance_link import MONITOR_ACTOR
    from registry.monitoring.kpis import KpiInputError, KpiPush, push_kpis

    settings = _settings(ctx)
    try:
        push = KpiPush.model_validate({"version": model_version,
                                       "values": [{**v, "at": at} for v in _pairs(values)]})
        dispatcher = AlertDispatcher(settings.config.webhooks, settings.config.actions.dedup_window_seconds)
        results = push_kpis(make_engine(settings.db_url), MONITOR_ACTOR, model_name, push, dispatcher)
    except (KpiInputError, ValidationError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except GovernanceError as exc:
        raise click.ClickException(str(exc)) from None
    for result in results:
        click.echo(json.dumps(asdict(result), sort_keys=True))
