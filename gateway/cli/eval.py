"""`warden eval ...`: lint suites, run them (live, recording or on replay), compare prompt versions.

Exit codes: 0 every suite passed, 1 an assertion or threshold failed, 2 a usage or setup error.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from evals.cassette import Mode

SETUP_ERROR = 2


def _fail_setup(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(SETUP_ERROR)


@click.group("eval")
def eval_group() -> None:
    """Evaluate prompts and models: suites of cases with assertions and metrics (ragas, grounding, judge)."""


@eval_group.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def lint_cmd(paths: tuple[Path, ...]) -> None:
    """Validate suite files (default: prompts/ and evals/suites/); exit 1 on any error."""
    from evals.loader import BUILTIN_DIR, SuiteError, discover, load_suite

    files = discover(list(paths) or [p for p in (Path("prompts"), BUILTIN_DIR) if p.exists()])
    errors = 0
    for path in files:
        try:
            loaded = load_suite(path)
            click.echo(f"ok {path}: {len(loaded.cases)} case(s)" + (f", prompt {loaded.prompt}" if loaded.prompt else ""))
        except SuiteError as exc:
            errors += 1
            click.echo(str(exc), err=True)
    click.echo(f"{len(files)} suite(s), {errors} with errors")
    if errors:
        sys.exit(1)


@eval_group.command("list")
def list_cmd() -> None:
    """The built-in suites a suite can `include`."""
    from evals.loader import builtin_names, load_suite

    for name in builtin_names():
        loaded = load_suite(name)
        click.echo(f"{name}\t{len(loaded.cases)} case(s)\t{loaded.suite.description}")


@eval_group.command("history")
@click.option("--prompt", "prompt_name", help="Only runs of this prompt.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def history_cmd(prompt_name: str | None, limit: int) -> None:
    """Stored runs, newest first: when, suite, prompt@commit, model, mode, result and metric means."""
    from registry.db import DEFAULT_URL, make_engine
    from registry.eval_runs import list_runs
    from registry.migrate import upgrade

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    upgrade(url)
    engine = make_engine(url)
    try:
        for run in list_runs(engine, prompt_name, limit):
            metrics = " ".join(f"{k}={v:.3f}" for k, v in sorted(run.metrics.items()))
            where = f"{run.prompt}@{(run.prompt_commit or run.prompt_ref or '-')[:7]}" if run.prompt else "-"
            click.echo(f"{run.created_at:%Y-%m-%d %H:%M} {run.id[:8]} {run.suite} {where} {run.model or '-'} "
                       f"{run.mode} {'pass' if run.passed else 'FAIL'} {run.cases - run.failed}/{run.cases} {metrics}")
    finally:
        engine.dispose()


def _run_options(func):  # type: ignore[no-untyped-def]
    options = [
        click.option("--prompt", "prompt_ref", metavar="NAME@REF", help="Evaluate this prompt version (label or SHA)."),
        click.option("--model", help="Model for cases that send messages."),
        click.option("--judge-model", help="Judge for LLM-judged metrics (default: suite, then eval.judge_model)."),
        click.option("--gateway", metavar="URL", help="A running gateway (default: served in-process)."),
        click.option("--key", envvar="WARDEN_EVAL_KEY", help="API key for --gateway (env WARDEN_EVAL_KEY)."),
        click.option("--team", help="In-process: run with a key of this team (default: an admin key)."),
        click.option("--concurrency", default=4, show_default=True, type=click.IntRange(1, 64)),
        click.option("--timeout", "timeout_s", type=click.FloatRange(min=0.1), help="Per-case timeout (s)."),
        click.option("--record", is_flag=True, help="Call the gateway and save every answer in the cassette."),
        click.option("--replay", is_flag=True, help="Answer from the cassette only; a miss fails the case."),
        click.option("--cassette", type=click.Path(path_type=Path), help="Cassette file (default: beside the suite)."),
        click.option("--json", "json_out", type=click.Path(path_type=Path), help="Write the JSON result here."),
        click.option("--junit", type=click.Path(path_type=Path), help="Write JUnit XML here."),
        click.option("--markdown", type=click.Path(path_type=Path), help="Write a Markdown summary here."),
        click.option("--html", type=click.Path(path_type=Path), help="Write a self-contained HTML report here."),
        click.option("--baseline", type=click.Path(path_type=Path, exists=True), help="Compare with a JSON result."),
        click.option("--no-store", is_flag=True, help="Do not record the run in the registry."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@eval_group.command("run")
@click.argument("suites", nargs=-1, required=True)
@_run_options
def run_cmd(suites: tuple[str, ...], **kw: object) -> None:
    """Run SUITE... (files, or built-in names such as `security`) through the gateway."""
    _execute(list(suites), kw)


@eval_group.command("diff")
@click.argument("name")
@click.argument("ref1")
@click.argument("ref2")
@click.option("--suite", "suite_path", type=click.Path(path_type=Path), help="Suite file (default: the prompt's).")
@_run_options
def diff_cmd(name: str, ref1: str, ref2: str, suite_path: Path | None, **kw: object) -> None:
    """Run prompt NAME's suite at REF1 and REF2 and show per-case and per-metric deltas (exit as for REF2)."""
    from evals.diff import compare
    from evals.reports import suite_json, to_markdown

    suite = str(suite_path or _prompt_suite(name))
    before = _session_run([suite], {**kw, "prompt_ref": f"{name}@{ref1}"})
    after = _session_run([suite], {**kw, "prompt_ref": f"{name}@{ref2}"})
    delta = compare(suite_json(before[0]), suite_json(after[0]))
    click.echo(to_markdown(after, delta))
    _write_outputs(after, kw, delta)
    sys.exit(0 if all(r.passed for r in after) else 1)


def _prompt_suite(name: str) -> Path:
    found = sorted(Path(os.environ.get("WARDEN_PROMPTS_DIR", "prompts")).rglob(f"{name}.eval.yaml"))
    if not found:
        _fail_setup(f"no suite for prompt {name!r}: add prompts/<path>/{name}.eval.yaml or pass --suite")
    return found[0]


def _session_run(suites: list[str], kw: dict[str, object]):  # type: ignore[no-untyped-def]
    from evals.loader import SuiteError
    from evals.runner import RunOptions
    from evals.session import SessionOptions, run_suites

    if kw.get("record") and kw.get("replay"):
        raise click.UsageError("--record and --replay exclude each other")
    mode: Mode = "record" if kw.get("record") else "replay" if kw.get("replay") else "live"
    judge = kw.get("judge_model") or _config_judge()
    options = SessionOptions(
        mode=mode, gateway=kw.get("gateway"), key=kw.get("key"), team=kw.get("team"),  # type: ignore[arg-type]
        cassette=kw.get("cassette"), store=not kw.get("no_store"),  # type: ignore[arg-type]
        database_url=os.environ.get("DATABASE_URL"),
        run=RunOptions(prompt_ref=kw.get("prompt_ref"), model=kw.get("model"),  # type: ignore[arg-type]
                       concurrency=int(kw.get("concurrency") or 4), timeout_s=kw.get("timeout_s"),  # type: ignore[arg-type]
                       judge_model=judge),  # type: ignore[arg-type]
    )
    progress = _Progress() if sys.stderr.isatty() else None
    try:
        return run_suites(suites, options, progress.tick if progress else None)
    except (SuiteError, ValueError, FileNotFoundError, RuntimeError) as exc:
        _fail_setup(str(exc))
    finally:
        if progress:
            progress.done()


def _config_judge() -> str | None:
    from gateway.config import ConfigError, load_config

    path = Path(os.environ.get("WARDEN_CONFIG", "config/gateway.yaml"))
    if not path.exists():
        return None
    try:
        return load_config(path).eval.judge_model
    except ConfigError as exc:
        _fail_setup(str(exc))
    return None


def _execute(suites: list[str], kw: dict[str, object]) -> None:
    from evals.reports import terminal_table

    results = _session_run(suites, kw)
    delta = None
    if kw.get("baseline"):
        import orjson

        from evals.diff import compare_runs

        try:
            delta = compare_runs(orjson.loads(Path(str(kw["baseline"])).read_bytes()), results)
        except (ValueError, KeyError) as exc:
            _fail_setup(f"--baseline: {exc}")
    for result in results:
        click.echo(terminal_table(result))
    _write_outputs(results, kw, delta)
    sys.exit(0 if all(r.passed for r in results) else 1)


def _write_outputs(results: list, kw: dict[str, object], delta: dict | None) -> None:  # type: ignore[type-arg]
    from evals.html_report import to_html
    from evals.reports import dumps, to_json, to_junit, to_markdown

    writers = {
        "json_out": lambda: dumps({**to_json(results), **({"diff": delta} if delta else {})}),
        "junit": lambda: to_junit(results),
        "markdown": lambda: to_markdown(results, delta).encode(),
        "html": lambda: to_html(results, delta).encode(),
    }
    for option, render in writers.items():
        target = kw.get(option)
        if target:
            Path(str(target)).parent.mkdir(parents=True, exist_ok=True)
            Path(str(target)).write_bytes(render())


class _Progress:
    """A one-line progress count on a terminal (cases answered, calls that failed so far)."""

    def __init__(self) -> None:
        self.done_count, self.failed = 0, 0

    def tick(self, result) -> None:  # type: ignore[no-untyped-def]
        self.done_count += 1
        self.failed += result.exchange.error is not None
        click.echo(f"\r{self.done_count} case(s) answered, {self.failed} call(s) failed", nl=False, err=True)

    def done(self) -> None:
        click.echo("", err=True)
