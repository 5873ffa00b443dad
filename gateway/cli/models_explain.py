"""`warden models interpretability NAME VERSION FILE` records a version's interpretability analysis (phase 3);
`warden models explain NAME VERSION --model FILE --data FILE` computes permutation importances and records them."""

from __future__ import annotations

import sys
from datetime import date

import click

from gateway.cli.models_validate import _file
from registry.governance.cli_ops import cli_session, echo_json, load_record
from registry.governance.interpretability_records import InterpretabilityRecord
from registry.validation.options import ValidationInputError


@click.command("interpretability")
@click.argument("name")
@click.argument("version")
@click.argument("path", required=False)
@click.pass_context
def interpretability_cmd(ctx: click.Context, name: str, version: str, path: str | None) -> None:
    """Record PATH (an InterpretabilityRecord, YAML or JSON, `-` for stdin) on VERSION; without PATH, show it."""
    from registry.governance.interpretability import get_interpretability, set_interpretability

    with cli_session(ctx) as (s, actor):
        if path is None:
            echo_json(get_interpretability(s, actor, name, version))
            return
        echo_json(set_interpretability(s, actor, name, version, load_record(path, InterpretabilityRecord)))


@click.command("explain")
@click.argument("name")
@click.argument("version")
@click.option("--model", "model_path", required=True, help="The trained model: .onnx or .skops (never a pickle).")
@click.option("--data", "data_path", required=True, help="Labelled validation data: .csv, .parquet or .jsonl.")
@click.option("--label", default="label", show_default=True, help="Column of the true outcome.")
@click.option("--repeats", type=click.IntRange(1, 100), default=5, show_default=True, help="Shuffles per feature.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--dry-run", is_flag=True, help="Compute and print the record without storing it.")
@click.pass_context
def explain_cmd(ctx: click.Context, name: str, version: str, model_path: str, data_path: str, label: str,
                repeats: int, seed: int, dry_run: bool) -> None:
    """Permutation importances of VERSION's model on the validation data, stored as its interpretability record.

    The features are the version spec's `features` (else every numeric column but the label, prediction and
    score); the metric is the task's (AUC for scores, accuracy for labels, RMSE for regression). Exit 2 on
    unusable input.
    """
    from registry.governance.interpretability import set_interpretability
    from registry.validation.explain import ExplainOptions, explain
    from registry.validation.service import version_context

    with cli_session(ctx) as (s, actor):
        context = version_context(s, actor, name, version)
        author = actor.name
    try:
        options = ExplainOptions(label=label, repeats=repeats, seed=seed)
        record = explain(model_path, _file(data_path), context.spec.task, context.features, author, date.today(),
                         options)
    except ValidationInputError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if not dry_run:
        with cli_session(ctx) as (s, actor):
            set_interpretability(s, actor, name, context.version, record)
    echo_json(record)
