"""More `warden models ...` commands: amend or retire a dataset version, decommission one version, roll back.

Kept apart from `models.py` (the inventory and review commands) so neither grows past a readable size.
"""

from __future__ import annotations

import click

from registry.governance import amend_dataset_version, retire_dataset_version
from registry.governance.cli_ops import cli_session, echo_json, load_record
from registry.governance.records import DatasetVersion


@click.group("dataset")
def dataset_group() -> None:
    """Amend a recorded dataset version (add its data card, quality report...) or retire it."""


@dataset_group.command("amend")
@click.argument("name")
@click.argument("path")
@click.pass_context
def dataset_amend(ctx: click.Context, name: str, path: str) -> None:
    """Replace the recorded dataset version named in PATH (YAML/JSON, `-` for stdin)."""
    with cli_session(ctx) as (s, actor):
        echo_json(amend_dataset_version(s, actor, name, load_record(path, DatasetVersion)).datasets)


@dataset_group.command("retire")
@click.argument("name")
@click.argument("dataset")
@click.argument("version")
@click.pass_context
def dataset_retire(ctx: click.Context, name: str, dataset: str, version: str) -> None:
    """Retire DATASET@VERSION: kept for the record, no longer asked for documentation."""
    with cli_session(ctx) as (s, actor):
        retire_dataset_version(s, actor, name, dataset, version)
    click.echo(f"dataset {dataset}@{version} retired on {name}")


COMMANDS = (dataset_group,)
