"""`warden models import --mlflow URI` and `warden models export --mlflow URI`: MLflow's model registry in and
Warden's governance status out. Operator commands only: the registry's REST API takes no tracking URI, so no client
can make the server call a URL of its choosing."""

from __future__ import annotations

from dataclasses import asdict

import click

from registry.governance.cli_ops import cli_session, echo_json
from registry.mlflow_interop.client import MlflowClient, MlflowError
from registry.mlflow_interop.exporter import export_models
from registry.mlflow_interop.importer import ModelDefaults, import_models


@click.command("import")
@click.option("--mlflow", "uri", required=True, help="MLflow tracking server URL, e.g. http://mlflow:5000.")
@click.option("--model", "name", help="Only this registered model (default: all).")
@click.option("--team", help="Team of models not yet in the registry (else their `warden.team` tag).")
@click.option("--owner", help="Owner of models not yet in the registry (else their `warden.owner` tag).")
@click.option("--use-case", help="Use case of models not yet in the registry (else their `warden.use_case` tag).")
@click.option("--kind", type=click.Choice(["llm", "classical"]), default="classical", show_default=True)
@click.pass_context
def import_cmd(ctx: click.Context, uri: str, name: str | None, team: str | None, owner: str | None,
               use_case: str | None, kind: str) -> None:
    """Read registered models, versions, run parameters and metrics, and artefact URIs from MLflow.

    Idempotent: re-running registers what is new, updates versions still in development, and reports versions past
    development whose MLflow record changed as `frozen` (they are never rewritten). Credentials come from
    MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD.
    """
    defaults = ModelDefaults(team=team, owner=owner, use_case=use_case, kind=kind)  # type: ignore[arg-type]
    try:
        with MlflowClient(uri) as client, cli_session(ctx) as (s, actor):
            results = import_models(s, actor, client, name, defaults)
    except MlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json([asdict(r) for r in results])


@click.command("export")
@click.option("--mlflow", "uri", required=True, help="MLflow tracking server URL.")
@click.option("--model", "name", help="Only this model (default: every model imported from MLflow).")
@click.pass_context
def export_cmd(ctx: click.Context, uri: str, name: str | None) -> None:
    """Write each imported version's governance status to MLflow as tags (`warden.version_status`,
    `warden.validation`, `warden.aliases`) and the model's (`warden.phase`, `warden.status`, `warden.risk_tier`...)."""
    try:
        with MlflowClient(uri) as client, cli_session(ctx) as (s, actor):
            exported = export_models(s, actor, client, name)
    except MlflowError as exc:
        raise click.ClickException(str(exc)) from exc
    echo_json([asdict(e) for e in exported])


COMMANDS = (import_cmd, export_cmd)
