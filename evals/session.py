"""One eval run of several suites: where the cases go (a gateway, in-process, or nowhere on replay), which
cassette each suite uses, and storing every result in the registry. Shared by `warden eval` and the gate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from evals.cassette import Cassette, Mode
from evals.loader import SUFFIX, LoadedSuite, discover, load_suite
from evals.runner import CaseResult, RunOptions, SuiteResult, Target, run_suite

log = logging.getLogger("warden.eval")
REPLAY_TARGET = Target("http://replay.invalid", "replay")  # never dialled: replay answers from the cassette


@dataclass(frozen=True, slots=True)
class SessionOptions:
    mode: Mode = "live"
    gateway: str | None = None
    key: str | None = None
    team: str | None = None
    cassette: Path | None = None
    """One cassette for every suite (default: `<suite>.cassette.json` beside each suite file)."""
    run: RunOptions = RunOptions()
    database_url: str | None = None
    store: bool = True


def cassette_path(loaded: LoadedSuite) -> Path:
    return loaded.path.with_name(loaded.path.name.removesuffix(SUFFIX) + ".cassette.json")


def run_suites(
    suites: Sequence[str | Path], options: SessionOptions, on_case: Callable[[CaseResult], None] | None = None
) -> list[SuiteResult]:
    """Load every suite first (a bad one stops the run before any call), then run them one after another."""
    expanded: list[str | Path] = []
    for s in suites:  # a folder stands for every suite under it
        expanded += discover([Path(s)]) if Path(s).is_dir() else [s]
    if not expanded:
        raise ValueError(f"no suite found in {[str(s) for s in suites]!r}")
    loaded = [load_suite(s) for s in expanded]
    cassettes = [Cassette(options.cassette or cassette_path(s), options.mode) for s in loaded]
    from evals.similarity import cosine

    results = []
    with _target(options) as target:
        for suite, cassette in zip(loaded, cassettes, strict=True):
            run = options.run
            if run.prompt_ref and "@" in run.prompt_ref:
                name, _, ref = run.prompt_ref.partition("@")
                suite = replace(suite, prompt=name)
                run = replace(run, prompt_ref=ref)
            result = asyncio.run(run_suite(suite, target, cassette, run, cosine, on_case))
            cassette.save()
            results.append(result)
    if options.store:
        store_results(results, options.database_url)
    return results


@contextmanager
def _target(options: SessionOptions) -> Iterator[Target]:
    if options.mode == "replay":
        yield REPLAY_TARGET
    elif options.gateway:
        if not options.key:
            raise ValueError("--gateway needs --key (or WARDEN_EVAL_KEY)")
        yield Target(options.gateway.rstrip("/").removesuffix("/v1"), options.key, options.database_url)
    else:
        from evals.inprocess import inprocess_gateway

        with inprocess_gateway(options.team) as target:
            yield target


def store_results(results: Sequence[SuiteResult], database_url: str | None) -> list[str]:
    """Every run into the registry's eval_runs table; a registry that cannot be reached is a warning only."""
    from registry.db import DEFAULT_URL, make_engine
    from registry.eval_runs import record_run

    import os

    from registry.migrate import upgrade

    try:
        if os.environ.get("WARDEN_MIGRATE", "1") != "0":
            upgrade(database_url or DEFAULT_URL)
        engine = make_engine(database_url or DEFAULT_URL)
    except Exception as exc:  # the run's result matters more than its record
        log.warning("eval runs not stored: %s", exc)
        return []
    ids = []
    try:
        from evals.reports import suite_json

        for r in results:
            ids.append(record_run(engine, suite_json(r)))
    except Exception as exc:
        log.warning("eval runs not stored: %s: %s", type(exc).__name__, exc)
    finally:
        engine.dispose()
    return ids
