"""`warden models dataset bias NAME DATASET VERSION --data FILE --sensitive COL`: a training set's data-bias analysis,
stored on the recorded dataset version; `warden models dataset waive-bias ...`: a board member accepts one gap."""

from __future__ import annotations

from datetime import datetime

import click

from gateway.cli.models_validate import _file
from registry.governance.bias_records import WAIVER_ROLES, BiasWaiverIn
from registry.governance.cli_ops import cli_session, echo_json


@click.command("bias")
@click.argument("name")
@click.argument("dataset")
@click.argument("version")
@click.option("--data", "data_path", required=True, help="The training set: .csv, .parquet or .jsonl.")
@click.option("--sensitive", multiple=True, required=True, help="Sensitive column (repeatable).")
@click.option("--label", default=None, help="0/1 label column: adds the label rate per group and its gap.")
@click.option("--segment", multiple=True, help="Segment column (repeatable).")
@click.pass_context
def bias_cmd(ctx: click.Context, name: str, dataset: str, version: str, data_path: str, sensitive: tuple[str, ...],
             label: str | None, segment: tuple[str, ...]) -> None:
    """Representation (count, share) and label rate of each sensitive group and segment of DATASET@VERSION."""
    from registry.governance.dataset_bias import set_dataset_bias
    from registry.validation.bias import analyse

    with cli_session(ctx) as (s, actor):
        bias = analyse(_file(data_path), list(sensitive), label, list(segment))
        set_dataset_bias(s, actor, name, dataset, version, bias)
    echo_json(bias)


@click.command("waive-bias")
@click.argument("name")
@click.argument("dataset")
@click.argument("version")
@click.option("--column", required=True, help="The sensitive column of the group.")
@click.option("--value", required=True, help="The group's value in that column.")
@click.option("--kind", type=click.Choice(["label_rate_gap", "representation"]), required=True)
@click.option("--reason", required=True, help="Why the gap is accepted (kept in the record and the audit trail).")
@click.option("--role", type=click.Choice(WAIVER_ROLES), required=True, help="The board role you waive it as.")
@click.option("--expires-on", type=click.DateTime(formats=["%Y-%m-%d"]), help="The waiver lapses after this day.")
@click.pass_context
def waive_bias_cmd(ctx: click.Context, name: str, dataset: str, version: str, column: str, value: str, kind: str,
                   reason: str, role: str, expires_on: datetime | None) -> None:
    """Accept one group's gap in DATASET@VERSION's bias analysis, so it no longer blocks promotion (Tier 1-2)."""
    from registry.governance.dataset_bias import waive_bias

    waiver = BiasWaiverIn.model_validate({"column": column, "value": value, "kind": kind, "reason": reason,
                                          "role": role, "expires_on": expires_on.date() if expires_on else None})
    with cli_session(ctx) as (s, actor):
        waive_bias(s, actor, name, dataset, version, waiver)
    click.echo(f"waiver recorded on {name} dataset {dataset}@{version}: {kind} of {column}={value}")
