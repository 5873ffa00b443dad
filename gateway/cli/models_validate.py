"""`warden models validate NAME VERSION --data FILE`: a validation report computed from a labelled evaluation set."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from registry.governance.cli_ops import cli_session, echo_json
from registry.validation.options import DataFile, ValidationInputError, ValidationOptions, format_of


def _file(path: str) -> DataFile:
    try:
        return DataFile(Path(path).read_bytes(), format_of(path), Path(path).name)
    except OSError as exc:
        raise ValidationInputError(f"cannot read {path!r}: {exc.strerror}") from None


@click.command("validate")
@click.argument("name")
@click.argument("version")
@click.option("--data", "data_path", required=True, help="Labelled evaluation set: .csv, .parquet or .jsonl.")
@click.option("--label", default="label", show_default=True, help="Column of the true outcome.")
@click.option("--prediction", default="prediction", show_default=True, help="Column of the predicted value.")
@click.option("--score", default="score", show_default=True, help="Column of the score / probability.")
@click.option("--query", default="query_id", show_default=True, help="Query column (ranking).")
@click.option("--cutoff", type=float, default=0.5, show_default=True, help="Score above which class 1 is predicted.")
@click.option("--segment", "segments", multiple=True, help="Segment column (adds to the version's declared ones).")
@click.option("--sensitive", multiple=True, help="Sensitive attribute column (adds to the version's declared ones).")
@click.option("--edge-cases", "edge_path", help="A second labelled file of edge cases.")
@click.option("--filter", "filter_expr", help="Edge cases as a filter: `col op value [and ...]`.")
@click.option("--model", "model_path", help="ONNX model, to measure robustness under perturbations.")
@click.option("--bootstrap", type=int, default=200, show_default=True, help="Bootstrap resamples (0: no intervals).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--html", "html_path", help="Also write the report as one self-contained HTML file.")
@click.option("--dry-run", is_flag=True, help="Compute and print the report without storing it.")
@click.pass_context
def validate_cmd(ctx: click.Context, name: str, version: str, data_path: str, label: str, prediction: str,
                 score: str, query: str, cutoff: float, segments: tuple[str, ...], sensitive: tuple[str, ...],
                 edge_path: str | None, filter_expr: str | None, model_path: str | None, bootstrap: int, seed: int,
                 html_path: str | None, dry_run: bool) -> None:
    """Compute VERSION's validation report from a labelled evaluation set and store it on the version.

    Metrics follow the version's task (spec `validation.task`), overall and per segment with bootstrap intervals;
    fairness per sensitive attribute against the tier's limits; robustness on edge cases and, with --model, under
    perturbations. Exit status 2 on unusable input, 1 when the stored report fails.
    """
    from registry.validation.html import render_html
    from registry.validation.service import compute, store, version_context

    with cli_session(ctx) as (s, actor):
        context = version_context(s, actor, name, version)
        author = actor.name
    try:
        options = ValidationOptions(label=label, prediction=prediction, score=score, query=query, cutoff=cutoff,
                                    segments=list(segments), sensitive=list(sensitive), filter=filter_expr,
                                    bootstrap=bootstrap, seed=seed)
        edge = _file(edge_path) if edge_path else None
        report = compute(context, _file(data_path), options, author, date.today(), edge, model_path)
    except (ValidationInputError, ValueError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    if html_path:
        Path(html_path).write_text(render_html(name, context.version, report), encoding="utf-8")
    if not dry_run:
        with cli_session(ctx) as (s, actor):
            store(s, actor, name, context.version, report)
    echo_json(report)
    if not report.passed:
        sys.exit(1)
