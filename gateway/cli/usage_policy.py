"""`warden usecases list|show|create|set-status` and `warden review list|show|approve|reject`.

Operator commands on the registry database; the name given by `--actor` (default: $USER) is recorded in the audit
trail as the author of a change or the reviewer of an answer."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Literal, TypeVar

import click
from pydantic import ValidationError
from sqlmodel import Session

from gateway.cli.common import database_option, open_registry, settings_from
from registry import review_queue, use_cases
from registry.db import session_scope
from registry.review_queue import DecisionIn
from registry.use_cases import Conditions, StatusIn, UseCaseIn

F = TypeVar("F", bound=Callable[..., Any])
STATUSES = click.Choice(["approved", "conditional", "forbidden"])


def actor_option(func: F) -> F:
    return click.option("--actor", envvar="WARDEN_ACTOR", default=getpass.getuser, show_default="$USER",
                        help="Name recorded in the audit trail.")(func)


@contextmanager
def _session(database_url: str | None) -> Iterator[Session]:
    engine = open_registry(settings_from(None, database_url))
    try:
        with session_scope(engine) as session:
            yield session
    except (LookupError, ValueError, ValidationError) as exc:
        raise click.ClickException(str(exc.args[0]) if isinstance(exc, LookupError) else str(exc)) from None
    finally:
        engine.dispose()


def _echo(value: object) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@click.group("usecases")
def usecases_group() -> None:
    """The registry of LLM use cases: approved, conditional (with conditions) or forbidden."""


@usecases_group.command("list")
@database_option
def usecases_list(database_url: str | None) -> None:
    with _session(database_url) as session:
        rows = use_cases.list_use_cases(session)
        click.echo(f"{'name':<28} {'status':<12} {'owner':<20} conditions")
        for row in rows:
            click.echo(f"{row.name:<28} {row.status:<12} {row.owner:<20} {json.dumps(row.conditions, sort_keys=True)}")


@usecases_group.command("show")
@database_option
@click.argument("name")
def usecases_show(database_url: str | None, name: str) -> None:
    with _session(database_url) as session:
        row = use_cases.get_use_case(session, name)
        if row is None:
            raise click.ClickException(f"use case {name!r} does not exist")
        _echo(row.view())


@usecases_group.command("create")
@database_option
@actor_option
@click.argument("name")
@click.option("--owner", required=True)
@click.option("--status", type=STATUSES, required=True)
@click.option("--description", default="")
@click.option("--require-guardrail", "guardrails", multiple=True, help="A guardrail that must run (repeatable).")
@click.option("--human-review", is_flag=True, help="Answers are queued for a reviewer.")
@click.option("--max-data-class", help="The most sensitive data class the use case may send.")
@click.option("--model", "models", multiple=True, help="A model the use case may use (repeatable; default: any).")
@click.option("--key", "keys", multiple=True, help="An API key id bound to the use case (repeatable).")
@click.option("--prompt", "prompts", multiple=True, help="A stored prompt bound to the use case (repeatable).")
@click.option("--registry-model", "registry_models", multiple=True, help="A registry model it relies on.")
def usecases_create(database_url: str | None, actor: str, name: str, owner: str, status: str, description: str,
                    guardrails: tuple[str, ...], human_review: bool, max_data_class: str | None,
                    models: tuple[str, ...], keys: tuple[str, ...], prompts: tuple[str, ...],
                    registry_models: tuple[str, ...]) -> None:
    """Add a use case (audited)."""
    with _session(database_url) as session:
        conditions = Conditions(required_guardrails=list(guardrails), human_review=human_review,
                                max_data_class=max_data_class, allowed_models=list(models) or None)
        data = UseCaseIn(name=name, owner=owner, status=status, description=description,  # type: ignore[arg-type]
                         conditions=conditions, keys=list(keys), prompts=list(prompts),
                         registry_models=list(registry_models))
        row = use_cases.create_use_case(session, actor, data)
        click.echo(f"created use case {row.name} ({row.status})")


@usecases_group.command("set-status")
@database_option
@actor_option
@click.argument("name")
@click.argument("status", type=STATUSES)
@click.option("--reason", default="")
def usecases_set_status(database_url: str | None, actor: str, name: str, status: str, reason: str) -> None:
    """Approve, make conditional or forbid a use case (audited; gateways apply it within use_case_refresh_s)."""
    with _session(database_url) as session:
        row = use_cases.set_status(session, actor, name, StatusIn(status=status, reason=reason))  # type: ignore[arg-type]
        click.echo(f"use case {row.name} is now {row.status}")


@click.group("review")
def review_group() -> None:
    """Human review of answers for the use cases that require it."""


@review_group.command("list")
@database_option
@click.option("--status", type=click.Choice(["pending", "approved", "rejected", "all"]), default="pending",
              show_default=True)
def review_list(database_url: str | None, status: str) -> None:
    with _session(database_url) as session:
        items = review_queue.list_items(session, None if status == "all" else status)  # type: ignore[arg-type]
        click.echo(f"{'id':<33} {'status':<9} {'use case':<24} {'team':<12} queued")
        for item in items:
            click.echo(f"{item.id:<33} {item.status:<9} {item.use_case:<24} {item.team or '-':<12} "
                       f"{item.created_at:%Y-%m-%d %H:%M:%S}")


@review_group.command("show")
@database_option
@click.argument("item_id")
def review_show(database_url: str | None, item_id: str) -> None:
    """One queued answer with its masked exchange."""
    with _session(database_url) as session:
        item = review_queue.get_item(session, item_id)
        if item is None:
            raise click.ClickException(f"review {item_id!r} does not exist")
        _echo(item.view(full=True))


def _decide(database_url: str | None, actor: str, item_id: str, outcome: Literal["approved", "rejected"],
            note: str) -> None:
    with _session(database_url) as session:
        item = review_queue.decide(session, actor, item_id, outcome, DecisionIn(note=note))
        click.echo(f"review {item.id} {item.status} by {item.reviewer} after {item.delay_s:.1f} s")


@review_group.command("approve")
@database_option
@actor_option
@click.argument("item_id")
@click.option("--note", default="")
def review_approve(database_url: str | None, actor: str, item_id: str, note: str) -> None:
    """Approve a queued answer (audited with the reviewer and the delay)."""
    _decide(database_url, actor, item_id, "approved", note)


@review_group.command("reject")
@database_option
@actor_option
@click.argument("item_id")
@click.option("--note", default="")
def review_reject(database_url: str | None, actor: str, item_id: str, note: str) -> None:
    """Reject a queued answer (audited with the reviewer and the delay)."""
    _decide(database_url, actor, item_id, "rejected", note)
