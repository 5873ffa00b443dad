"""Running a suite: every case through the gateway in parallel, assertions checked, metrics scored, thresholds met.

A failed upstream call, a timeout or a replay miss is a failed case, never a crash of the run.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from evals.assertions import check_all
from evals.bias import bias_gaps, family_rates
from evals.cassette import CURRENT_CASE, Cassette, CassetteTransport
from evals.exchange import Exchange, build_request, send
from evals.loader import LoadedSuite
from evals.metrics import JUDGE_SUFFIX, MetricContext, aggregate_thresholds, score_metrics
from evals.suite import Case


@dataclass(frozen=True, slots=True)
class Target:
    """Where cases go: a gateway's base URL (no /v1) and the key to call it with."""

    base_url: str
    key: str
    database_url: str | None = None
    """The gateway's registry, when known: each case's cost is read from its usage row."""


@dataclass(frozen=True, slots=True)
class RunOptions:
    prompt_ref: str | None = None
    """The prompt version (label or commit) the cases render; default: the gateway's latest."""
    model: str | None = None
    concurrency: int = 4
    timeout_s: float | None = None
    judge_model: str | None = None
    expect_commit: str | None = None
    """Fail any answer the gateway says came from another prompt commit (the gate, on replay)."""


@dataclass(slots=True)
class CaseResult:
    case: Case
    exchange: Exchange
    failures: list[str] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(slots=True)
class SuiteResult:
    """A suite's run: its cases, each metric's mean, and the thresholds it missed."""

    name: str
    path: str
    prompt: str | None
    prompt_ref: str | None
    prompt_commit: str | None
    model: str | None
    cases: list[CaseResult]
    metric_means: dict[str, float]
    threshold_failures: list[str]
    started_at: str
    duration_s: float
    mode: str
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.threshold_failures and all(c.passed for c in self.cases)


async def run_suite(
    loaded: LoadedSuite, target: Target, cassette: Cassette, options: RunOptions,
    similarity: Callable[[str, str], float], on_case: Callable[[CaseResult], None] | None = None,
) -> SuiteResult:
    started = time.perf_counter()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    suite = loaded.suite
    prompt, ref = loaded.prompt, options.prompt_ref
    model = options.model or suite.model
    timeout = options.timeout_s or suite.timeout_s
    gate = asyncio.Semaphore(max(1, options.concurrency))
    transport = CassetteTransport(cassette)
    async with httpx.AsyncClient(base_url=target.base_url, transport=transport,
                                 headers={"authorization": f"Bearer {target.key}"}) as client:

        async def one(case: Case) -> CaseResult:
            async with gate:
                token = CURRENT_CASE.set(case.id)
                try:
                    result = await _run_case(client, case, prompt, ref, model, timeout, cassette)
                finally:
                    CURRENT_CASE.reset(token)
                if on_case is not None:
                    on_case(result)
                return result

        results = list(await asyncio.gather(*(one(c) for c in loaded.cases)))
        await _fill_costs(results, target, cassette)
        for result in results:
            _check(result, suite.assertions, options.expect_commit, similarity)
        context = MetricContext(target, cassette, options.judge_model or suite.judge_model or model, similarity)
        means = await score_metrics(suite.metrics, results, context)
    failures = aggregate_thresholds(suite.metrics, results, means)
    extras: dict[str, object] = {}
    families = family_rates(results)
    if families:
        extras["families"] = families
    gaps = bias_gaps(results, similarity)
    if gaps:
        extras["bias"] = gaps
        if suite.bias is not None:
            failures += [f"bias: {attr} gap {g['gap']:.3f} > {suite.bias.max_gap:g} (pair {g['pair']})"
                         for attr, g in gaps.items() if float(g["gap"]) > suite.bias.max_gap]  # type: ignore[arg-type]
    for case, misses in sorted(cassette.misses.items()):
        if case == "-" or case.endswith(JUDGE_SUFFIX):
            failures.append(f"replay miss for the judge ({case}): {', '.join(sorted(set(misses)))}")
    commits = {r.exchange.prompt_commit for r in results if r.exchange.prompt_commit}
    return SuiteResult(
        name=loaded.name, path=str(loaded.path), prompt=prompt, prompt_ref=ref,
        prompt_commit=commits.pop() if len(commits) == 1 else None, model=model, cases=results,
        metric_means=means, threshold_failures=failures, started_at=started_at,
        duration_s=time.perf_counter() - started, mode=cassette.mode, extras=extras,
    )


async def _run_case(
    client: httpx.AsyncClient, case: Case, prompt: str | None, ref: str | None, model: str | None,
    timeout: float, cassette: Cassette,
) -> CaseResult:
    try:
        body = build_request(case, prompt, ref, model)
    except ValueError as exc:
        return CaseResult(case, Exchange(status=0, error=str(exc), error_code="setup_error"))
    try:
        exchange = await asyncio.wait_for(send(client, body, timeout), timeout + 1)
    except TimeoutError:
        exchange = Exchange(status=0, error=f"timed out after {timeout:g} s", error_code="timeout")
    if case.id in cassette.misses:
        exchange = Exchange(status=0, error=f"replay miss for case {case.id!r}", error_code="replay_miss")
    return CaseResult(case, exchange)


def _check(result: CaseResult, suite_assertions: list, expect: str | None,  # type: ignore[type-arg]
           similarity: Callable[[str, str], float]) -> None:
    if result.exchange.error_code == "replay_miss":
        result.failures = [f"replay miss: no recorded answer for case {result.case.id!r}"]
        return
    result.failures = check_all([*suite_assertions, *result.case.assertions], result.case, result.exchange,
                                similarity)
    seen = result.exchange.prompt_commit
    if expect and seen and seen != expect:
        result.failures.append(f"answered by prompt commit {seen[:12]}, not {expect[:12]}: re-record the cassette"
                               " (--record) for this version")


async def _fill_costs(results: list[CaseResult], target: Target, cassette: Cassette) -> None:
    """Costs from the usage rows when live (kept in the cassette), from the cassette on replay."""
    ids = [r.exchange.request_id for r in results if r.exchange.request_id]
    if cassette.mode != "replay" and target.database_url and ids:
        from evals.costs import usage_costs

        try:
            cassette.costs.update(await asyncio.to_thread(usage_costs, target.database_url, ids))
        except Exception:  # a registry out of reach leaves costs unknown; ceilings on cost then fail
            pass
    for r in results:
        if r.exchange.request_id in cassette.costs:
            r.exchange.cost_usd = cassette.costs[r.exchange.request_id]
