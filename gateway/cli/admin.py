"""`warden keys`, `warden teams`, `warden costs`, `warden db`."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click
import orjson

from gateway.cli.common import config_option, database_option, open_registry, settings_from
from gateway.cli.output import emit, format_option
from gateway.durations import parse_duration
from registry import keys as registry_keys
from registry.costs import CostReport, cost_report
from registry.migrate import current, upgrade
from registry.tables import utcnow

PERIODS = click.Choice(["day", "week", "month", "total"])


def _models(value: str | None) -> list[str] | None:
    return [m.strip() for m in value.split(",") if m.strip()] if value else None


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@config_option
@database_option
@click.option("--team", help="The key's team (required unless --admin).")
@click.option("--admin", "is_admin", is_flag=True, help="An admin key (admin routes, every team).")
@click.option("--name", help="A label for lists.")
@click.option("--person", help="The person holding the key (shown in the governance audit trail).")
@click.option("--rpm", type=click.IntRange(1), help="Requests per minute for this key.")
@click.option("--tpm", type=click.IntRange(1), help="Tokens per minute for this key.")
@click.option("--budget", type=click.FloatRange(0), help="Budget in USD per period.")
@click.option("--budget-period", type=PERIODS, default="month", show_default=True)
@click.option("--models", help="Comma-separated models the key may use (within its team's).")
@click.option("--expires", help="Lifetime, e.g. 30d, 12h.")
@click.option("--policy", help="Guardrail policy of this key (instead of its team's).")
def keys_create(config_path: str | None, database_url: str | None, team: str | None, is_admin: bool,
                name: str | None, person: str | None, rpm: int | None, tpm: int | None, budget: float | None, budget_period: str,
                models: str | None, expires: str | None, policy: str | None) -> None:
    """Create a key. The key is printed as the last line, once: it is stored only as a hash."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        expires_in = parse_duration(expires) if expires else None
        row, plain = registry_keys.create_key(
            engine, team=team, role="admin" if is_admin else "team", name=name, person=person, models=_models(models), rpm=rpm,
            tpm=tpm, budget_usd=budget, budget_period=budget_period, expires_in=expires_in,  # type: ignore[arg-type]
            guardrail_policy=policy,
        )
    except (registry_keys.RegistryError, ValueError) as exc:
        _fail(str(exc))
        return
    click.echo(f"created {row.role} key {row.id} for team {row.team or '-'}"
               + (f", expires {row.expires_at:%Y-%m-%d %H:%M} UTC" if row.expires_at else ""))
    click.echo("store this key now; it cannot be shown again:")
    click.echo(plain)


@keys.command("update")
@config_option
@database_option
@click.argument("key_id")
@click.option("--person", required=True, help="The person holding the key; an empty string un-names it.")
def keys_update(config_path: str | None, database_url: str | None, key_id: str, person: str) -> None:
    """Name the person who holds KEY_ID (id or shown prefix)."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        row = registry_keys.set_person(engine, key_id, person or None)
    except registry_keys.RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"key {row.id} is held by {row.person or '-'}")


@keys.command("list")
@config_option
@database_option
@click.option("--team")
@format_option
def keys_list(config_path: str | None, database_url: str | None, team: str | None, fmt: str | None) -> None:
    """List keys (never the keys themselves: id, prefix, team, limits, state)."""
    engine = open_registry(settings_from(config_path, database_url))
    now = utcnow()
    rows = [{"id": row.id, "prefix": row.prefix, "role": row.role, "team": row.team, "rpm": row.rpm, "tpm": row.tpm,
             "budget_usd": row.budget_usd, "expires_at": row.expires_at,
             "state": "revoked" if row.revoked_at else "expired" if registry_keys.is_expired(row, now) else "active"}
            for row in registry_keys.list_keys(engine, team)]
    emit(rows, ("id", "prefix", "role", "team", "rpm", "tpm", "budget_usd", "expires_at", "state"), fmt, _key_lines)


def _key_lines(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{'id':<17} {'prefix':<11} {'role':<6} {'team':<16} {'rpm':>6} {'tpm':>8} {'budget':>9} state"]
    for row in rows:
        budget = f"{row['budget_usd']:.2f}" if row["budget_usd"] is not None else "-"
        lines.append(f"{row['id']:<17} {row['prefix']:<11} {row['role']:<6} {row['team'] or '-':<16} "
                     f"{row['rpm'] or '-':>6} {row['tpm'] or '-':>8} {budget:>9} {row['state']}")
    return "\n".join(lines)


@keys.command("revoke")
@config_option
@database_option
@click.argument("key_id")
def keys_revoke(config_path: str | None, database_url: str | None, key_id: str) -> None:
    """Revoke a key by id or prefix (takes effect within the gateway's key cache TTL)."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        row = registry_keys.revoke_key(engine, key_id)
    except registry_keys.RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"revoked {row.id} ({row.prefix}...)")


@click.group()
def teams() -> None:
    """Create and list teams."""


@teams.command("create")
@config_option
@database_option
@click.argument("name")
@click.option("--models", help="Comma-separated models the team may use (default: all).")
@click.option("--rpm", type=click.IntRange(1))
@click.option("--tpm", type=click.IntRange(1))
@click.option("--budget", type=click.FloatRange(0), help="Budget in USD per period.")
@click.option("--budget-period", type=PERIODS, default="month", show_default=True)
@click.option("--policy", help="Guardrail policy of the team.")
def teams_create(config_path: str | None, database_url: str | None, name: str, models: str | None,
                 rpm: int | None, tpm: int | None, budget: float | None, budget_period: str,
                 policy: str | None) -> None:
    engine = open_registry(settings_from(config_path, database_url))
    try:
        registry_keys.create_team(engine, name, models=_models(models), rpm=rpm, tpm=tpm, budget_usd=budget,
                                  budget_period=budget_period, guardrail_policy=policy)  # type: ignore[arg-type]
    except registry_keys.RegistryError as exc:
        _fail(str(exc))
        return
    click.echo(f"created team {name}")


@teams.command("list")
@config_option
@database_option
@format_option
def teams_list(config_path: str | None, database_url: str | None, fmt: str | None) -> None:
    engine = open_registry(settings_from(config_path, database_url))
    rows = [{"team": t.name, "models": t.models, "rpm": t.rpm, "tpm": t.tpm, "budget_usd": t.budget_usd,
             "budget_period": t.budget_period, "policy": t.guardrail_policy}
            for t in registry_keys.list_teams(engine)]
    emit(rows, ("team", "models", "rpm", "tpm", "budget_usd", "budget_period", "policy"), fmt, _team_lines)


def _team_lines(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = [f"{'team':<20} {'models':<30} {'rpm':>6} {'tpm':>8} {'budget':>12} policy"]
    for t in rows:
        budget = f"{t['budget_usd']:.2f}/{t['budget_period']}" if t["budget_usd"] is not None else "-"
        models = ",".join(t["models"]) if t["models"] is not None else "*"
        lines.append(f"{t['team']:<20} {models:<30} {t['rpm'] or '-':>6} {t['tpm'] or '-':>8} {budget:>12} "
                     f"{t['policy'] or '-'}")
    return "\n".join(lines)


@click.command()
@config_option
@database_option
@click.option("--by", type=click.Choice(["team", "key", "model", "prompt", "prompt-version"]), default="team",
              show_default=True)
@click.option("--since", help="Only the last period, e.g. 7d, 24h.")
@click.option("--team", help="Only this team's rows.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
def costs(config_path: str | None, database_url: str | None, by: str, since: str | None, team: str | None,
          fmt: str) -> None:
    """Spend, tokens and requests, grouped (by team: with the models within each team)."""
    engine = open_registry(settings_from(config_path, database_url))
    try:
        start = utcnow() - parse_duration(since) if since else None
    except ValueError as exc:
        _fail(str(exc))
        return
    report = cost_report(engine, by, since=start, team=team)  # type: ignore[arg-type]
    click.echo({"json": _as_json, "csv": _as_csv, "table": _as_table}[fmt](report), nl=False)


def _flat_rows(report: CostReport) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for row in report.rows:
        rows.append({k: v for k, v in row.as_dict().items() if k != "models"})
        for model in row.models:
            rows.append({**model.as_dict(), "team": row.group.get("team")})
    return rows


def _as_json(report: CostReport) -> str:
    return orjson.dumps(report.as_dict(), option=orjson.OPT_INDENT_2).decode() + "\n"


def _as_csv(report: CostReport) -> str:
    rows = _flat_rows(report)
    columns = list(dict.fromkeys(k for row in rows for k in row)) or ["requests"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _as_table(report: CostReport) -> str:
    names = list(report.rows[0].group) if report.rows else [report.by]
    head = "".join(f"{n:<24}" for n in names) + f"{'requests':>10}{'errors':>8}{'prompt_tok':>12}{'compl_tok':>12}{'cost_usd':>14}"
    lines = [head]
    for row in report.rows:
        lines.append(_line(row.group, row, names))
        for model in row.models:
            lines.append(_line({names[0]: "  " + str(model.group.get("model"))}, model, names))
    lines.append(_line({names[0]: "TOTAL"}, report.total, names))
    return "\n".join(lines) + "\n"


def _line(group: dict[str, str | None], row: object, names: list[str]) -> str:
    cells = "".join(f"{str(group.get(n) if group.get(n) is not None else '-'):<24}" for n in names)
    return (cells + f"{row.requests:>10}{row.errors:>8}{row.prompt_tokens:>12}"  # type: ignore[attr-defined]
            f"{row.completion_tokens:>12}{row.cost_usd:>14.6f}")  # type: ignore[attr-defined]


@click.group()
def db() -> None:
    """Registry schema migrations."""


@db.command("upgrade")
@database_option
def db_upgrade(database_url: str | None) -> None:
    settings = settings_from(None, database_url)
    upgrade(settings.database_url)
    click.echo(f"registry at revision {current(settings.database_url)}")
