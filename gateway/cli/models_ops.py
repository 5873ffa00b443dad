"""More `warden models ...` commands: amend or retire a dataset version, roll back, grant review-board roles, print
a deliverable's annotated template, read a model's latest audit entries.

Kept apart from `models.py` (the inventory and review commands) so neither grows past a readable size.
"""

from __future__ import annotations

from typing import get_args

import click
from pydantic import BaseModel

from gateway.cli.models_bias import bias_cmd, waive_bias_cmd
from registry.governance.interpretability_records import InterpretabilityRecord
from gateway.cli.output import emit, format_option
from registry.governance import ClassificationCriteria, amend_dataset_version, retire_dataset_version, review
from registry.governance.card import ModelCard
from registry.governance.cli_ops import cli_session, echo_json, load_record
from registry.governance.decommission_records import DecommissionStart
from registry.governance import records
from registry.governance.access import readable_model
from registry.governance.audit import AuditEntryOut, list_entries
from registry.governance.identity import voter_name
from registry.governance.records import DatasetVersion
from registry.governance.schema_template import template
from registry.governance.specs import VersionSpec
from registry.governance.types import ReviewerRole


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


dataset_group.add_command(bias_cmd)
dataset_group.add_command(waive_bias_cmd)


@click.command("rollback")
@click.argument("name")
@click.option("--reason", required=True, help="Recorded in the audit trail.")
@click.option("--from", "from_version", help="The failing version (default: the one the serving alias points at).")
@click.option("--to", "to_version", help="The version to send traffic to (default: the previous production one).")
@click.pass_context
def rollback_cmd(ctx: click.Context, name: str, reason: str, from_version: str | None, to_version: str | None) -> None:
    """Take traffic off a failing version now: alias back, or end the canary it is the candidate of."""
    from registry.monitoring.rollback import RollbackIn, rollback_model

    data = RollbackIn(reason=reason, from_version=from_version, to_version=to_version)
    with cli_session(ctx) as (s, actor):
        done = rollback_model(s, actor, name, data)
    click.echo(f"{done.model_name}#{done.alias}: {done.from_version} -> {done.to_version}")


ROLES = click.Choice(sorted(get_args(ReviewerRole)))


@click.group("reviewers")
def reviewers_group() -> None:
    """Model Review Board roles: who may vote in which role (the chair decides)."""


@reviewers_group.command("list")
@click.pass_context
def reviewers_list(ctx: click.Context) -> None:
    with cli_session(ctx) as (s, _actor):
        for user, roles in review.list_reviewers(s).items():
            click.echo(f"{user}\t{','.join(roles)}")


@reviewers_group.command("grant")
@click.argument("user")
@click.argument("roles", nargs=-1, required=True, type=ROLES)
@click.option("--revoke", is_flag=True, help="Take the ROLES away instead.")
@click.pass_context
def reviewers_grant(ctx: click.Context, user: str, roles: tuple[str, ...], revoke: bool) -> None:
    """Give USER the ROLES; audited. USER is a key (id, prefix or the person it names, as for --actor) or the
    name votes are cast under (`key_ab12@risk`)."""
    with cli_session(ctx) as (s, actor):
        user = voter_name(s, user)
        held = review.reviewer_roles(s, user)
        wanted = held - set(roles) if revoke else held | set(roles)
        granted = review.set_reviewer_roles(s, actor, user, sorted(wanted))  # type: ignore[arg-type]
    click.echo(f"{user}\t{','.join(granted)}")


SCHEMAS: dict[str, type[BaseModel]] = {
    "charter": records.ProjectCharter,
    "classification": ClassificationCriteria,
    "dataset": DatasetVersion,
    "experiment": records.ExperimentRef,
    "spec": VersionSpec,
    "validation": records.ValidationReport,
    "interpretability": InterpretabilityRecord,
    "card": ModelCard,
    "deployment": records.DeploymentRecord,
    "monitoring": records.MonitoringPlan,
    "decommission-plan": records.DecommissionPlan,
    "decommission-start": DecommissionStart,
}


@click.command("schema")
@click.argument("kind", type=click.Choice(list(SCHEMAS)))
def schema_cmd(kind: str) -> None:
    """Print an annotated YAML template of a deliverable: fill it in and pass it to `record`, `version`, `card set`."""
    click.echo(template(SCHEMAS[kind]), nl=False)


@click.command("audit")
@click.argument("name")
@click.option("--limit", type=click.IntRange(min=1), default=100, help="Show the latest LIMIT entries.")
@format_option
@click.pass_context
def model_audit(ctx: click.Context, name: str, limit: int, fmt: str | None) -> None:
    """The latest audit entries of one model, oldest first."""
    with cli_session(ctx) as (s, actor):
        readable_model(s, actor, name)
        entries = [audit_row(e) for e in list_entries(s, chain=name, limit=limit, latest=True)]
    emit(entries, AUDIT_COLUMNS[1:], fmt)


def audit_row(entry: AuditEntryOut) -> dict[str, object]:
    return {"chain": entry.chain, "seq": entry.seq, "at": entry.at.isoformat(), "person": entry.person or "-",
            "actor": entry.actor, "action": entry.action, "subject": entry.subject}


@click.command("list")
@click.option("--chain", help="Only this chain (a model's name, or `registry`).")
@click.option("--limit", type=click.IntRange(min=1), default=100, help="Show the latest LIMIT entries.")
@format_option
@click.pass_context
def audit_list(ctx: click.Context, chain: str | None, limit: int, fmt: str | None) -> None:
    """The latest audit entries of every chain (or one), oldest first."""
    with cli_session(ctx) as (s, _):
        entries = [audit_row(e) for e in list_entries(s, chain=chain, limit=limit, latest=True)]
    emit(entries, AUDIT_COLUMNS, fmt)


AUDIT_COLUMNS = ("chain", "seq", "at", "person", "actor", "action", "subject")
COMMANDS = (dataset_group, rollback_cmd, reviewers_group, schema_cmd, model_audit)
