"""The data-quality section of the monitoring report: expectation violations per window and feature."""

from __future__ import annotations

from html import escape
from typing import Any

from sqlmodel import Session

from registry.monitoring.expectations import CHECK
from registry.monitoring.tables import CheckResult

MAX_ROWS = 200


def quality_rows(session: Session, base: Any) -> list[dict[str, str | float]]:
    """The newest `data_quality` check results of the report's selection (`base`), newest window first."""
    rows = session.exec(base.where(CheckResult.check == CHECK)
                        .order_by(CheckResult.window_start.desc(), CheckResult.subject)  # type: ignore[attr-defined]
                        .limit(MAX_ROWS)).all()
    return [{"window_start": r.window_start.isoformat(), "feature": r.subject, "violations": r.value,
             "level": r.level} for r in rows]


def quality_section(rows: list[dict[str, str | float]]) -> str:
    head = "<h2>Input data quality (expectation violations per window)</h2>"
    if not rows:
        return head + "<p>none</p>"
    body = "".join(f"<tr><td>{escape(str(r['window_start']))}</td><td>{escape(str(r['feature']))}</td>"
                   f"<td>{int(float(r['violations']))}</td><td>{escape(str(r['level']))}</td></tr>" for r in rows)
    return head + f"<table><tr><th>window</th><th>feature</th><th>rows violating</th><th>level</th></tr>{body}</table>"
