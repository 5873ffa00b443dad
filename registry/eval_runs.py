"""Eval runs: one row per suite run (suite, prompt and commit, model, metrics, pass/fail), so monitoring can
chart a prompt version's metrics and a validation report can cite a run by id."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, Index
from sqlalchemy.engine import Engine
from sqlmodel import Field, Session, SQLModel, select

from registry.tables import utcnow


class EvalRun(SQLModel, table=True):
    __tablename__ = "eval_runs"
    __table_args__ = (Index("ix_eval_runs_prompt_created", "prompt", "created_at"),)

    id: str = Field(primary_key=True, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    suite: str = Field(max_length=200, index=True)
    suite_path: str = Field(max_length=1000)
    prompt: str | None = Field(default=None, max_length=200)
    prompt_ref: str | None = Field(default=None, max_length=200)
    prompt_commit: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=200)
    mode: str = Field(max_length=16)
    """live, record or replay."""
    passed: bool
    cases: int
    failed: int
    metrics: dict[str, float] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    failures: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    """The failing cases (id and reasons) and the missed thresholds."""


def record_run(engine: Engine, result: dict[str, Any]) -> str:
    """Store a run given in the JSON report's shape (`evals.reports.suite_json`); returns its id."""
    failing = [{"case": c["id"], "reasons": c["failures"]} for c in result["cases"] if not c["passed"]]
    failing += [{"threshold": t} for t in result["threshold_failures"]]
    row = EvalRun(
        id=uuid.uuid4().hex, suite=result["suite"], suite_path=result["path"], prompt=result["prompt"],
        prompt_ref=result["prompt_ref"], prompt_commit=result["prompt_commit"], model=result["model"],
        mode=result["mode"], passed=result["passed"], cases=result["summary"]["cases"],
        failed=result["summary"]["failed"], metrics=result["metrics"], summary=result["summary"], failures=failing,
    )
    return save_run(engine, row)


def save_run(engine: Engine, row: EvalRun) -> str:
    """Store one run row; returns its id."""
    run_id = row.id
    with Session(engine) as session:
        session.add(row)
        session.commit()
    return run_id


def list_runs(engine: Engine, prompt: str | None = None, limit: int = 50) -> list[EvalRun]:
    with Session(engine) as session:
        query = select(EvalRun).order_by(EvalRun.created_at.desc()).limit(limit)  # type: ignore[attr-defined]
        if prompt is not None:
            query = query.where(EvalRun.prompt == prompt)
        return list(session.exec(query))


AUDIT_CHAIN = "prompts"


def record_gate_override(
    engine: Engine, *, prompt: str, label: str, commit: str, reasons: Sequence[str], reason: str, actor: str
) -> str:
    """An audit entry for a promotion made although gates refused: who, why, and what the gates said.

    Written (and committed) before the label moves, so no overridden promotion goes unrecorded."""
    from registry.db import session_scope
    from registry.governance.audit import append

    with session_scope(engine) as session:
        entry = append(session, actor=actor, chain=AUDIT_CHAIN, action="prompt.promote.override",
                       subject=f"{prompt}@{label}",
                       after={"commit": commit, "reason": reason, "gate_reasons": list(reasons)})
        return f"{entry.chain}#{entry.seq}"
