"""Which checks are due (per tier), running them (`warden monitor run`) and a loop over that (`monitor serve`).

Classical models are checked from their prediction logs, LLMs from the gateway's usage rows (`llm_check`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from registry.db import session_scope
from registry.monitoring.llm_check import LlmCheckReport, due_llm_scopes, run_llm_check
from registry.monitoring.runner import CheckReport, MonitorContext, run_check
from registry.monitoring.store import RegisteredReference, list_references
from registry.monitoring.tables import CheckRun, PredictionLog
from registry.monitoring.timeutil import as_utc, utc_now
from registry.rag.sources import flag_stale

AnyReport = CheckReport | LlmCheckReport


def active_references(
    ctx: MonitorContext, session: Session, model_name: str | None = None, now: datetime | None = None
) -> list[RegisteredReference]:
    """Per model, the version the gateway alias serves (when a switcher is plugged in), else the latest registered;
    then every other version with a reference that logged predictions in its tier's lookback window, so a canary's
    stable version stays checked once the candidate has a reference too."""
    ctx = ctx.joined(session)
    moment = as_utc(now) if now else utc_now()
    latest: dict[str, RegisteredReference] = {}
    by_key = {}
    for reference in list_references(session, model_name):
        latest[reference.model_name] = reference
        by_key[(reference.model_name, reference.model_version)] = reference
    chosen = []
    for name, fallback in latest.items():
        serving = ctx.switcher.current_version(name, ctx.config.actions.gateway_alias) if ctx.switcher else None
        first = by_key.get((name, serving), fallback) if serving else fallback
        since = moment - timedelta(seconds=ctx.config.tier_schedule(ctx.tier(name)).lookback_seconds)
        busy = _versions_with_traffic(session, name, since, moment) - {first.model_version}
        chosen += [first] + [by_key[(name, v)] for v in sorted(busy) if (name, v) in by_key]
    return chosen


def _versions_with_traffic(session: Session, model_name: str, start: datetime, end: datetime) -> set[str]:
    query = select(PredictionLog.model_version).where(
        PredictionLog.model_name == model_name, col(PredictionLog.ts) >= start, col(PredictionLog.ts) <= end
    )
    return set(session.exec(query.distinct()))


def due_references(ctx: MonitorContext, session: Session, now: datetime, model_name: str | None = None) -> list[RegisteredReference]:
    ctx = ctx.joined(session)
    runs = {(r.model_name, r.model_version): r.last_run_at for r in session.exec(select(CheckRun))}
    due = []
    for reference in active_references(ctx, session, model_name, now):
        every = timedelta(seconds=ctx.config.tier_schedule(ctx.tier(reference.model_name)).every_seconds)
        last = runs.get((reference.model_name, reference.model_version))
        if last is None or now - last >= every:
            due.append(reference)
    return due


def run_due(ctx: MonitorContext, now: datetime | None = None, model_name: str | None = None, force: bool = False) -> list[AnyReport]:
    """Run every due check once (all active ones with `force`); each version in its own transaction."""
    moment = as_utc(now) if now else utc_now()
    with session_scope(ctx.engine) as session:
        if force:
            pending = active_references(ctx, session, model_name, moment)
        else:
            pending = due_references(ctx, session, moment, model_name)
        scopes = due_llm_scopes(ctx, session, moment, model_name, force)
    reports: list[AnyReport] = []
    for reference in pending:
        with session_scope(ctx.engine) as session:
            reports.append(run_check(ctx, session, reference, moment))
    for scope in scopes:
        with session_scope(ctx.engine) as session:
            reports.append(run_llm_check(ctx, session, scope, moment))
    if model_name is None:
        flag_stale(ctx.engine, moment)  # RAG sources past their freshness SLA, on every full pass
    return reports


def backfill(ctx: MonitorContext, since: datetime, until: datetime, model_name: str | None = None) -> list[CheckReport]:
    """Check back-filled history: every registered version, over consecutive windows of its tier's lookback from
    `since` to `until`. Nothing is rolled back: the history is measured and alerted on, the live aliases stay."""
    start, end = as_utc(since), as_utc(until)
    if end <= start:
        raise ValueError(f"--until {end.isoformat()} is not after --since {start.isoformat()}")
    ctx = replace(ctx, switcher=None)
    with session_scope(ctx.engine) as session:
        references = list_references(session, model_name)
    reports = []
    for reference in references:
        step = timedelta(seconds=ctx.config.tier_schedule(ctx.tier(reference.model_name)).lookback_seconds)
        moment = start + step
        while moment <= end:
            with session_scope(ctx.engine) as session:
                reports.append(run_check(ctx, session, reference, moment))
            moment += step
    return reports


def serve(
    ctx: MonitorContext,
    interval_seconds: float,
    max_iterations: int | None = None,
    on_report: Callable[[AnyReport], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Run due checks every `interval_seconds` (forever, or `max_iterations` times); returns checks run."""
    done = iterations = 0
    while max_iterations is None or iterations < max_iterations:
        for report in run_due(ctx):
            done += 1
            if on_report:
                on_report(report)
        iterations += 1
        if max_iterations is None or iterations < max_iterations:
            sleep(interval_seconds)
    return done
