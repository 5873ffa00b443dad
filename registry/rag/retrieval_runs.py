"""Retrieval evaluation runs, stored as eval runs (mode `retrieval`, model = the embedding version) so they sit in
the registry with every other evaluation; per-source means are in the run's summary."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.eval_runs import EvalRun, save_run

MODE = "retrieval"


def record_retrieval_run(engine: Engine, suite: str, path: str, version: str, queries: int, metrics: dict[str, float],
                         per_source: dict[str, dict[str, float]], missed: list[str]) -> str:
    row = EvalRun(id=uuid.uuid4().hex, suite=suite, suite_path=path, model=version, mode=MODE, passed=not missed,
                  cases=queries, failed=0, metrics=metrics, summary={"queries": queries, "per_source": per_source},
                  failures=[{"threshold": m} for m in missed])
    return save_run(engine, row)


def list_retrieval_runs(engine: Engine, suite: str | None = None, limit: int = 50) -> list[EvalRun]:
    with Session(engine) as session:
        query = select(EvalRun).where(EvalRun.mode == MODE).order_by(col(EvalRun.created_at).desc()).limit(limit)
        if suite:
            query = query.where(EvalRun.suite == suite)
        return list(session.exec(query))
