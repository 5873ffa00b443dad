"""Click plumbing shared by `warden models` and `warden audit`, and the decommissioning and audit commands.

Kept in the registry (it imports click, never the gateway) so `gateway/cli/models.py` stays a thin command list.
The CLI acts as the API key `--actor` names (default: $USER, matched against the keys' `person`), with its roles.
"""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import yaml
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from registry.db import DEFAULT_URL, make_engine, session_scope
from registry.governance import audit_verify, decommission
from registry.governance.decommission_records import (
    ArchiveIn,
    DecommissionNotice,
    DecommissionStart,
    PostMortem,
)
from registry.governance.errors import GateError, GovernanceError
from registry.governance.retention import purge_audit
from registry.governance.identity import resolve_actor
from registry.governance.types import Actor

M = TypeVar("M", bound=BaseModel)
LEVELS = click.Choice(["low", "medium", "high"])


def db_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--actor",
        envvar="WARDEN_ACTOR",
        default=getpass.getuser,
        show_default="$USER",
        help="The API key the command acts as: its id, shown prefix, or the person it names (its roles apply).",
    )(func)
    return click.option("--database-url", envvar="DATABASE_URL", default=DEFAULT_URL, show_default=True)(func)


@contextmanager
def cli_session(ctx: click.Context) -> Iterator[tuple[Session, Actor]]:
    engine = make_engine(ctx.obj["url"])
    try:
        with session_scope(engine) as session:
            yield session, resolve_actor(session, ctx.obj["actor"])
    except GateError as exc:
        raise click.ClickException(
            f"{exc.action} refused; missing:\n" + "\n".join(f"  - {m}" for m in exc.missing)
        ) from exc
    except (GovernanceError, ValidationError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()


def load_record(path: str, model: type[M]) -> M:
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    try:
        return model.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        raise click.ClickException(f"{path!r} is not a valid {model.__name__}: {exc}") from exc


def echo_json(value: BaseModel | list[Any] | dict[str, Any] | None) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@click.command("decommission")
@click.argument("name")
@click.argument("step", type=click.Choice(["start", "check-migration", "archive", "cleanup", "postmortem"]))
@click.option(
    "--criterion",
    multiple=True,
    type=click.Choice(["replaced", "use_case_gone", "irreversible_degradation", "cost", "non_compliance"]),
)
@click.option("--justification", "--summary", "text")
@click.option("--effective-on", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--stakeholder", multiple=True)
@click.option("--replacement", help="start: `model` or `model@version`, servable now.")
@click.option("--version", "version", help="start: retire only this version (default: the whole model).")
@click.option("--days", type=click.IntRange(1), default=30, show_default=True,
              help="check-migration: the usage window read from the gateway's usage rows.")
@click.option("--webhook", envvar="WARDEN_ALERT_WEBHOOK", help="start: also POST the notice (JSON) to this URL.")
@click.option("--location", help="archive: where the artefacts are kept.")
@click.option("--item", multiple=True, help="archive: what is kept; postmortem: a lesson.")
@click.pass_context
def decommission_cmd(
    ctx: click.Context,
    name: str,
    step: str,
    criterion: tuple[str, ...],
    text: str | None,
    effective_on: datetime | None,
    stakeholder: tuple[str, ...],
    replacement: str | None,
    version: str | None,
    days: int,
    webhook: str | None,
    location: str | None,
    item: tuple[str, ...],
) -> None:
    """Run one decommissioning step. `start` prints the notice (the gateway's webhook sends it when run there)."""
    with cli_session(ctx) as (s, actor):
        if step == "start":
            on: date | None = effective_on.date() if effective_on else None
            data = DecommissionStart.model_validate(
                {
                    "criteria": criterion,
                    "justification": text,
                    "effective_on": on,
                    "stakeholders": stakeholder,
                    "replacement": replacement,
                    "version": version,
                }
            )
            echo_json(decommission.start_decommission(s, actor, name, data, _notifier(webhook)))
        elif step == "check-migration":
            from registry.usage_stats import usage_lookup

            engine = make_engine(ctx.obj["url"])
            try:
                echo_json(decommission.check_migration(s, actor, name, usage_lookup(engine, days)))
            finally:
                engine.dispose()
        elif step == "archive":
            echo_json(
                decommission.archive_model(
                    s, actor, name, ArchiveIn.model_validate({"location": location, "items": item})
                )
            )
        elif step == "cleanup":
            echo_json(decommission.cleanup_model(s, actor, name))
        else:
            echo_json(
                decommission.record_postmortem(
                    s, actor, name, PostMortem.model_validate({"summary": text, "lessons": item})
                )
            )


def _notifier(webhook: str | None) -> Callable[[DecommissionNotice], None]:
    """Prints the notice; with a webhook, also POSTs it (Slack-compatible `text` plus the notice itself)."""

    def notify(notice: DecommissionNotice) -> None:
        click.echo("notice: " + notice.model_dump_json(), err=True)
        if webhook:
            import httpx

            text = f"Model {notice.model!r} will be decommissioned on {notice.effective_on}: {notice.justification}"
            httpx.post(webhook, json={"text": text, "notice": notice.model_dump(mode="json")}, timeout=5).raise_for_status()

    return notify


@click.group("audit")
@db_options
@click.pass_context
def audit_group(ctx: click.Context, database_url: str, actor: str) -> None:
    """Verify, export and purge the governance audit trail."""
    from registry.migrate import upgrade

    upgrade(database_url)
    ctx.obj = {"url": database_url, "actor": actor}


@audit_group.command("verify")
@click.option("--chain", help="One model's chain (default: all).")
@click.pass_context
def audit_verify_cmd(ctx: click.Context, chain: str | None) -> None:
    """Exit 1 naming the first bad entry when a chain was edited, truncated or extended."""
    with cli_session(ctx) as (s, _actor):
        report = audit_verify.verify(s, chain)
    if report.ok:
        click.echo(f"audit trail intact: {report.chains} chains, {report.entries} entries")
        return
    bad = report.first_bad
    assert bad is not None
    raise click.ClickException(f"audit trail broken in chain {bad.chain!r} at seq {bad.seq}: {bad.reason}")


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
@click.option("--chain")
@click.pass_context
def audit_export(ctx: click.Context, fmt: str, output: Any, chain: str | None) -> None:
    with cli_session(ctx) as (s, _actor):
        count = audit_verify.export_entries(s, output, fmt, chain)  # type: ignore[arg-type]
    click.echo(f"{count} entries exported", err=True)


@audit_group.command("purge")
@click.pass_context
def audit_purge(ctx: click.Context) -> None:
    """Delete entries past their tier's retention (chains stay verifiable through checkpoints)."""
    with cli_session(ctx) as (s, actor):
        echo_json(purge_audit(s, actor))
