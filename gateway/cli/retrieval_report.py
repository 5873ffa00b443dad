"""`warden sources eval`: run retrieval suites, print their metrics, store them as runs in the registry."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from sqlalchemy.engine import Engine

from evals.retrieval_suite import SuiteError, VersionResult, evaluate, load_suite
from registry.rag.retrieval_runs import record_retrieval_run


def run_suites(paths: Sequence[Path], engine: Engine | None) -> int:
    """The exit status: 0 when every version of every suite met its thresholds, 1 otherwise, 2 on a bad suite."""
    status = 0
    for path in paths:
        try:
            suite = load_suite(path)
        except SuiteError as exc:
            click.echo(f"error: {exc}", err=True)
            return 2
        for result in evaluate(suite):
            run_id = None
            if engine is not None:
                run_id = record_retrieval_run(engine, suite.name, str(path), result.version, result.queries,
                                              result.metrics, result.per_source, result.missed)
            _print(suite.name, result, run_id)
            status = status or (0 if result.passed else 1)
    return status


def _print(suite: str, result: VersionResult, run_id: str | None) -> None:
    verdict = "PASS" if result.passed else "FAIL: " + "; ".join(result.missed)
    stored = f" (run {run_id})" if run_id else ""
    click.echo(f"{suite} [{result.version}] {result.queries} queries {verdict}{stored}")
    click.echo("  overall  " + _line(result.metrics))
    for source, metrics in result.per_source.items():
        click.echo(f"  {source:<8} " + _line(metrics))


def _line(metrics: dict[str, float]) -> str:
    return " ".join(f"{name}={value:.4f}" for name, value in metrics.items())
