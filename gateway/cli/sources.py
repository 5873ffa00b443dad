"""`warden sources`: the RAG source inventory, embedding versions, re-index tasks and retrieval evaluation."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from gateway.cli.common import config_option, database_option, open_registry, settings_from
from gateway.durations import parse_duration
from registry.rag import embeddings, sources
from registry.rag.sources import SourceExists, SourceFields, SourceNotFound, SourceSpec

F = TypeVar("F", bound=Callable[..., Any])
ACTOR = "cli"


def _engine(config_path: str | None, database_url: str | None) -> Engine:
    return open_registry(settings_from(config_path, database_url))


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _field_options(func: F) -> F:
    options = [
        click.option("--owner"), click.option("--description"),
        click.option("--reliability", type=click.Choice(["high", "medium", "low", "unrated"])),
        click.option("--rights", help="Usage rights, e.g. 'internal use only'."), click.option("--licence"),
        click.option("--access-class", "access_classes", multiple=True, help="An ACL label its chunks may carry."),
        click.option("--sla", help="Freshness SLA: the longest time between refreshes, e.g. 1d, 12h."),
        click.option("--refreshed-at", type=click.DateTime(), help="When the index last took the source in."),
        click.option("--embedding-model"), click.option("--embedding-version"),
    ]
    for option in reversed(options):
        func = option(func)
    return database_option(config_option(func))


def _fields(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if v not in (None, ())}
    if "access_classes" in out:
        out["access_classes"] = list(out["access_classes"])
    if "sla" in out:
        try:
            out["freshness_sla_s"] = int(parse_duration(out.pop("sla")).total_seconds())
        except ValueError as exc:
            _fail(f"--sla: {exc}")
    return out


def _show(row: Any) -> None:
    click.echo(json.dumps(row.model_dump(mode="json"), indent=2))


@click.group("sources")
def sources_group() -> None:
    """RAG sources: inventory, freshness, embedding versions, re-index tasks, retrieval evaluation."""


@sources_group.command("add")
@click.argument("source_id")
@_field_options
def add_cmd(config_path: str | None, database_url: str | None, source_id: str, **values: Any) -> None:
    try:
        spec = SourceSpec(id=source_id, **_fields(values))
        _show(sources.create_source(_engine(config_path, database_url), spec, ACTOR))
    except (ValidationError, SourceExists) as exc:
        _fail(str(exc))


@sources_group.command("update")
@click.argument("source_id")
@_field_options
def update_cmd(config_path: str | None, database_url: str | None, source_id: str, **values: Any) -> None:
    """Change a source; a new embedding model or version opens a re-index task."""
    try:
        source, task = sources.update_source(_engine(config_path, database_url), source_id,
                                             SourceFields(**_fields(values)), ACTOR)
    except (ValidationError, SourceNotFound) as exc:
        _fail(str(exc))
        return
    _show(source)
    if task is not None:
        click.echo(f"opened re-index task {task.id}: {task.from_model}@{task.from_version} -> "
                   f"{task.to_model}@{task.to_version}")


@sources_group.command("refreshed")
@click.argument("source_id")
@click.option("--at", type=click.DateTime(), help="When (default: now).")
@database_option
@config_option
def refreshed_cmd(source_id: str, at: datetime | None, database_url: str | None, config_path: str | None) -> None:
    """Record that the index took the source in again (clears its stale mark)."""
    from registry.tables import utcnow

    try:
        sources.update_source(_engine(config_path, database_url), source_id,
                              SourceFields(refreshed_at=at or utcnow()), ACTOR)
    except SourceNotFound as exc:
        _fail(str(exc))
    click.echo(f"{source_id} refreshed")


@sources_group.command("list")
@click.option("--stale", is_flag=True, help="Only the sources flagged stale.")
@database_option
@config_option
def list_cmd(stale: bool, database_url: str | None, config_path: str | None) -> None:
    click.echo(f"{'source':<24} {'owner':<16} {'reliability':<11} {'sla':>8} {'embedding':<24} stale")
    for s in sources.list_sources(_engine(config_path, database_url), stale):
        embedding = f"{s.embedding_model}@{s.embedding_version}" if s.embedding_model else "-"
        since = s.stale_since.isoformat(timespec="seconds") if s.stale_since else "-"
        sla = s.freshness_sla_s or '-'
        click.echo(f"{s.id:<24} {s.owner:<16} {s.reliability:<11} {sla:>8} {embedding:<24} {since}")


@sources_group.command("show")
@click.argument("source_id")
@database_option
@config_option
def show_cmd(source_id: str, database_url: str | None, config_path: str | None) -> None:
    try:
        _show(sources.get_source(_engine(config_path, database_url), source_id))
    except SourceNotFound as exc:
        _fail(str(exc))


@sources_group.command("remove")
@click.argument("source_id")
@database_option
@config_option
def remove_cmd(source_id: str, database_url: str | None, config_path: str | None) -> None:
    try:
        sources.delete_source(_engine(config_path, database_url), source_id, ACTOR)
    except SourceNotFound as exc:
        _fail(str(exc))
    click.echo(f"removed {source_id}")


@sources_group.command("check-stale")
@database_option
@config_option
def check_stale_cmd(database_url: str | None, config_path: str | None) -> None:
    """Flag the sources past their freshness SLA now (the monitoring scheduler does it on every pass)."""
    flagged = sources.flag_stale(_engine(config_path, database_url))
    click.echo(f"{len(flagged)} newly stale" + (f": {', '.join(flagged)}" if flagged else ""))


@sources_group.command("embeddings")
@database_option
@config_option
def embeddings_cmd(database_url: str | None, config_path: str | None) -> None:
    for v in embeddings.list_versions(_engine(config_path, database_url)):
        click.echo(f"{v.model}@{v.version} {v.status}")


@sources_group.command("retire")
@click.argument("model")
@click.argument("version")
@click.option("--undo", is_flag=True, help="Make the version active again.")
@database_option
@config_option
def retire_cmd(model: str, version: str, undo: bool, database_url: str | None, config_path: str | None) -> None:
    """Mark an embedding version retired: requests whose chunks use it are flagged."""
    row = embeddings.set_status(_engine(config_path, database_url), model, version, "active" if undo else "retired",
                                 ACTOR)
    click.echo(f"{row.model}@{row.version} {row.status}")


@sources_group.command("tasks")
@click.option("--all", "show_all", is_flag=True, help="Done tasks too.")
@database_option
@config_option
def tasks_cmd(show_all: bool, database_url: str | None, config_path: str | None) -> None:
    for t in sources.list_tasks(_engine(config_path, database_url), None if show_all else "open"):
        click.echo(f"{t.id:>5} {t.source_id:<24} {t.from_model}@{t.from_version} -> {t.to_model}@{t.to_version} "
                   f"{t.status} {t.created_at.isoformat(timespec='seconds')}")


@sources_group.command("task-done")
@click.argument("task_id", type=click.IntRange(1))
@database_option
@config_option
def task_done_cmd(task_id: int, database_url: str | None, config_path: str | None) -> None:
    try:
        sources.close_task(_engine(config_path, database_url), task_id, ACTOR)
    except SourceNotFound as exc:
        _fail(str(exc))
    click.echo(f"task {task_id} done")


@sources_group.command("eval")
@click.argument("suite_paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--no-store", is_flag=True, help="Do not record the runs in the registry.")
@database_option
@config_option
def eval_cmd(suite_paths: tuple[Path, ...], no_store: bool, database_url: str | None, config_path: str | None) -> None:
    """Precision@k, recall@k, MRR and nDCG@k of labelled queries, per embedding version and per source."""
    from gateway.cli.retrieval_report import run_suites

    sys.exit(run_suites(suite_paths, None if no_store else _engine(config_path, database_url)))
