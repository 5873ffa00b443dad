"""`warden models ...` and `warden audit ...`: the registry's governance from the command line.

The CLI acts as the API key `--actor` names (its id, prefix or person; default: $USER), with that key's roles.
Structured records (charter, dataset, card...) are read from YAML or JSON files and validated on the way in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click
from pydantic import BaseModel

from gateway.cli.models_card import card_group
from gateway.cli.models_explain import explain_cmd, interpretability_cmd
from gateway.cli.models_mlflow import COMMANDS as MLFLOW_COMMANDS
from gateway.cli.models_ops import COMMANDS, audit_list
from gateway.cli.models_validate import validate_cmd
from registry.governance import (
    ClassificationCriteria,
    DecisionIn,
    ModelIn,
    RolloutPlan,
    SubmissionIn,
    VersionIn,
    VoteIn,
    classification,
    inventory,
    lifecycle,
    review,
    rollout,
    versions,
)
from registry.governance.cli_ops import (
    LEVELS,
    audit_group,
    cli_session,
    db_options,
    decommission_cmd,
    echo_json,
    load_record,
)
from gateway.cli.output import emit, format_option
from registry.governance.records import (
    DatasetVersion,
    DecommissionPlan,
    DeploymentRecord,
    ExperimentRef,
    MonitoringPlan,
    ProjectCharter,
    ValidationReport,
)
from registry.governance.specs import VersionSpec
from registry.governance.types import PHASES
from registry.migrate import upgrade

__all__ = ["audit_group", "models_group"]
MODEL_COLUMNS = ("name", "kind", "risk_tier", "phase", "status", "team", "owner")


@click.group("models")
@db_options
@click.pass_context
def models_group(ctx: click.Context, database_url: str, actor: str) -> None:
    """Inventory, risk tiers, reviews, promotion, rollout and decommissioning of models."""
    upgrade(database_url)
    ctx.obj = {"url": database_url, "actor": actor}


@models_group.command("init-db")
@click.pass_context
def init_db(ctx: click.Context) -> None:
    """Bring the registry schema to the latest migration (every `warden models` command also does)."""
    upgrade(ctx.obj["url"])
    click.echo("governance tables ready")


@models_group.command("register")
@click.argument("name")
@click.option("--kind", type=click.Choice(["llm", "classical"]), required=True)
@click.option("--owner", required=True)
@click.option("--team", required=True)
@click.option("--use-case", required=True)
@click.option("--description", default="")
@click.pass_context
def register(ctx: click.Context, name: str, kind: str, owner: str, team: str, use_case: str, description: str) -> None:
    with cli_session(ctx) as (s, actor):
        data = ModelIn.model_validate(
            {"name": name, "kind": kind, "owner": owner, "team": team, "use_case": use_case, "description": description}
        )
        echo_json(inventory.register_model(s, actor, data))


@models_group.command("show")
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    with cli_session(ctx) as (s, actor):
        echo_json(
            {
                "model": inventory.get_model(s, actor, name).model_dump(mode="json"),
                "versions": [v.model_dump(mode="json") for v in versions.list_versions(s, actor, name)],
            }
        )


@models_group.command("list")
@click.option("--team")
@click.option("--kind", type=click.Choice(["llm", "classical"]))
@click.option("--tier", type=click.IntRange(1, 4))
@click.option("--overdue", is_flag=True, help="Only models whose risk classification is due.")
@format_option
@click.pass_context
def list_cmd(ctx: click.Context, team: str | None, kind: str | None, tier: int | None, overdue: bool,
             fmt: str | None) -> None:
    with cli_session(ctx) as (s, actor):
        if overdue:
            due = [o.model_dump(mode="json") for o in classification.overdue_reviews(s, actor, team=team)]
            emit(due, ("model", "team", "tier", "due_at", "reasons"), fmt, piped="json")
            return
        rows = [m.model_dump(mode="json", include=set(MODEL_COLUMNS))
                for m in inventory.list_models(s, actor, team=team, kind=kind, tier=tier)]  # type: ignore[arg-type]
        emit(rows, MODEL_COLUMNS, fmt, lambda listed: "\n".join(
            f"{m['name']}\t{m['kind']}\ttier={m['risk_tier'] or '-'}\t{m['phase']}\t{m['status']}\t{m['team']}"
            for m in listed))


@models_group.command("classify")
@click.argument("name")
@click.option("--financial", type=LEVELS, required=True)
@click.option("--operational", type=LEVELS, required=True)
@click.option("--reputational", type=LEVELS, required=True)
@click.option("--human", type=LEVELS, required=True)
@click.option("--automation", type=click.Choice(["informative", "assistive", "decisive", "autonomous"]), required=True)
@click.option("--eu-class", type=click.Choice(["minimal", "limited", "high", "unacceptable"]), required=True)
@click.option("--notes")
@click.pass_context
def classify_cmd(
    ctx: click.Context,
    name: str,
    financial: str,
    operational: str,
    reputational: str,
    human: str,
    automation: str,
    eu_class: str,
    notes: str | None,
) -> None:
    impact = {"financial": financial, "operational": operational, "reputational": reputational, "human": human}
    criteria = ClassificationCriteria.model_validate(
        {"impact": impact, "automation": automation, "eu_ai_act": eu_class, "notes": notes}
    )
    with cli_session(ctx) as (s, actor):
        echo_json(classification.classify_model(s, actor, name, criteria).result)


_RECORDS: dict[str, tuple[type[BaseModel], Callable[..., Any]]] = {
    "charter": (ProjectCharter, inventory.set_charter),
    "dataset": (DatasetVersion, inventory.add_dataset_version),
    "experiment": (ExperimentRef, inventory.add_experiment),
    "deployment": (DeploymentRecord, inventory.set_deployment_record),
    "monitoring": (MonitoringPlan, inventory.set_monitoring_plan),
    "decommission-plan": (DecommissionPlan, inventory.set_decommission_plan),
}


@models_group.command("record")
@click.argument("name")
@click.argument("kind", type=click.Choice(sorted(_RECORDS)))
@click.argument("path")
@click.pass_context
def record(ctx: click.Context, name: str, kind: str, path: str) -> None:
    """Attach a phase deliverable read from PATH (YAML/JSON, `-` for stdin)."""
    schema, setter = _RECORDS[kind]
    with cli_session(ctx) as (s, actor):
        setter(s, actor, name, load_record(path, schema))
    click.echo(f"{kind} recorded on {name}")


@models_group.command("phase")
@click.argument("name")
@click.argument("phase", type=click.Choice([*PHASES, *(str(n) for n in range(1, len(PHASES) + 1))]))
@click.pass_context
def phase_cmd(ctx: click.Context, name: str, phase: str) -> None:
    """Move NAME to PHASE, by name or by the framework's number: 1 problem_framing ... 6 monitoring,
    7 decommissioning (entered by `models decommission start`; asking for it says so)."""
    target = PHASES[int(phase) - 1] if phase.isdigit() else phase
    with cli_session(ctx) as (s, actor):
        click.echo(lifecycle.advance_phase(s, actor, name, target).phase)  # type: ignore[arg-type]


@models_group.command("version")
@click.argument("name")
@click.argument("version")
@click.option("--spec", "spec_path", help="VersionSpec file (YAML/JSON).")
@click.option("--validation", "validation_path", help="ValidationReport file to attach.")
@click.option("--update", is_flag=True, help="Replace the spec of an existing version still in development.")
@click.pass_context
def version_cmd(
    ctx: click.Context, name: str, version: str, spec_path: str | None, validation_path: str | None, update: bool
) -> None:
    """Register VERSION (when --spec is given or it is new), fix its spec (--update), attach its validation report."""
    with cli_session(ctx) as (s, actor):
        if update:
            if spec_path is None:
                raise click.UsageError("--update needs --spec")
            echo_json(versions.update_version_spec(s, actor, name, version, load_record(spec_path, VersionSpec)))
        elif spec_path or not validation_path:
            spec = load_record(spec_path, VersionSpec) if spec_path else VersionSpec()
            echo_json(versions.register_version(s, actor, name, VersionIn(version=version, spec=spec)))
        if validation_path:
            echo_json(
                versions.set_validation_report(s, actor, name, version, load_record(validation_path, ValidationReport))
            )



@models_group.command("submit")
@click.argument("name")
@click.argument("version")
@click.option("--code-review-url")
@click.option("--notes")
@click.pass_context
def submit(ctx: click.Context, name: str, version: str, code_review_url: str | None, notes: str | None) -> None:
    """Submit VERSION to the review board (model card, validation report and code review link must be there)."""
    with cli_session(ctx) as (s, actor):
        echo_json(
            review.submit_for_review(
                s, actor, name, SubmissionIn(version=version, code_review_url=code_review_url, notes=notes)
            )
        )


@models_group.command("review")
@click.argument("review_id", type=int)
@click.option(
    "--role",
    type=click.Choice(sorted(review.STAGE_ROLES["technical_review"] | review.STAGE_ROLES["business_risk_review"])),
)
@click.option("--approve/--reject", default=None, help="Cast a vote in ROLE.")
@click.option(
    "--decision", type=click.Choice(["approved", "approved_with_reservations", "rejected"]), help="Chair's decision."
)
@click.option("--comment", "--feedback", "comment")
@click.option("--reservation", multiple=True)
@click.pass_context
def review_cmd(
    ctx: click.Context,
    review_id: int,
    role: str | None,
    approve: bool | None,
    decision: str | None,
    comment: str | None,
    reservation: tuple[str, ...],
) -> None:
    """Show a review, vote on it (--role with --approve/--reject) or decide it as chair (--decision)."""
    with cli_session(ctx) as (s, actor):
        if decision:
            echo_json(
                review.decide(
                    s, actor, review_id, DecisionIn(decision=decision, reservations=list(reservation), feedback=comment)
                )
            )  # type: ignore[arg-type]
        elif approve is not None:
            if role is None:
                raise click.UsageError("--approve/--reject needs --role")
            vote = VoteIn.model_validate(
                {"role": role, "approve": approve, "comment": comment, "reservations": list(reservation)}
            )
            echo_json(review.record_vote(s, actor, review_id, vote))
        else:
            echo_json(review.get_review(s, actor, review_id))


@models_group.command("promote")
@click.argument("name")
@click.argument("version")
@click.argument("status", type=click.Choice(["development", "staging", "production", "archived"]))
@click.pass_context
def promote(ctx: click.Context, name: str, version: str, status: str) -> None:
    with cli_session(ctx) as (s, actor):
        echo_json(lifecycle.promote(s, actor, name, version, status))  # type: ignore[arg-type]


@models_group.command("alias")
@click.argument("name")
@click.argument("alias")
@click.argument("version", required=False)
@click.option("--remove", is_flag=True)
@click.pass_context
def alias(ctx: click.Context, name: str, alias: str, version: str | None, remove: bool) -> None:
    """Point ALIAS at VERSION (atomically), or --remove it."""
    with cli_session(ctx) as (s, actor):
        if remove:
            versions.remove_alias(s, actor, name, alias)
        elif version is None:
            raise click.UsageError("give VERSION or --remove")
        else:
            versions.set_alias(s, actor, name, alias, version)
    click.echo(f"{name}#{alias} -> {'(removed)' if remove else version}")


@models_group.command("rollout")
@click.argument("name")
@click.option("--strategy", type=click.Choice(["canary", "blue_green", "shadow"]))
@click.option("--stable")
@click.option("--candidate")
@click.option("--percent", type=click.FloatRange(0, 100), default=0.0)
@click.option("--switch", is_flag=True, help="Blue-green: swap live and idle versions.")
@click.option("--clear", is_flag=True)
@click.pass_context
def rollout_cmd(
    ctx: click.Context,
    name: str,
    strategy: str | None,
    stable: str | None,
    candidate: str | None,
    percent: float,
    switch: bool,
    clear: bool,
) -> None:
    """Show, set (--strategy --stable [--candidate --percent]), --switch or --clear the rollout plan."""
    with cli_session(ctx) as (s, actor):
        if clear:
            rollout.clear_rollout(s, actor, name)
        elif switch:
            echo_json(rollout.switch_blue_green(s, actor, name))
        elif strategy:
            if stable is None:
                raise click.UsageError("--strategy needs --stable")
            plan = RolloutPlan.model_validate(
                {"strategy": strategy, "stable": stable, "candidate": candidate, "percent": percent}
            )
            echo_json(rollout.set_rollout(s, actor, name, plan))
        else:
            echo_json(rollout.get_rollout(s, actor, name))


models_group.add_command(decommission_cmd)
for _command in (card_group, *COMMANDS, *MLFLOW_COMMANDS):
    models_group.add_command(_command)
models_group.add_command(validate_cmd)
models_group.add_command(explain_cmd)
models_group.add_command(interpretability_cmd)
audit_group.add_command(audit_list)
