"""`warden models dataset bias NAME DATASET VERSION --data FILE --sensitive COL`: a training set's data-bias analysis,
stored on the recorded dataset version."""

from __future__ import annotations

import click

from gateway.cli.models_validate import _file
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
